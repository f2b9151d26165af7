"""How occurrences are grouped: message normalization, culprit and fingerprint (no database).

The normalization cases follow Sentry's parameterization tests
(tests/sentry/grouping/test_parameterization.py), narrowed to the forms we replace."""

import json
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

import errors.grouping
from errors.conf import app_errors_setting
from errors.grouping import (
    DEFAULT_PLACEHOLDER,
    GROUPING_VERSION,
    Fingerprint,
    build_fingerprint,
    culprit_for,
    default_fingerprint_parts,
    logged_fingerprint_parts,
    normalize_message,
)

FORMS = [
    (
        "<url>",
        [
            "http://example.com",
            "http://a.example.net/p/x.js?q=1&r=2#frag",
            "http://user:pass@host.example.com:10",
            "http://localhost:8000",
            "http://[2001:db8::1]:80",
            "http://11.21.12.31:12",
            "https://dogsaregreat.com/adopt/dont/shop/",
            "postgres://app:s3cret@db.internal:5432/app",
        ],
    ),
    (
        "<email>",
        [
            "maisey@example.com",
            "maisey.the+dog@example.co.uk",
            "maisey+thedog@dogsaregreat.com",
        ],
    ),
    (
        "<uuid>",
        [
            "7c1811ed-e98f-4c9c-a9f9-58c757ff494f",
            "bea691f2-2e25-4bec-6838-e0c44b03d60a",
            "7C1811ED-E98F-4C9C-A9F9-58C757FF494F",
        ],
    ),
    (
        "<datetime>",
        [
            "2006-01-02",
            "2006-01-02 15:04:05",
            "2006-01-02T15:04:05Z",
            "2006-01-02T15:04:05.999999999Z",
            "2006-01-02T15:04:05+01:00",
            "2006-01-02T15:04:05-0700",
            "2024-02-23 02:13:53.418",
            "2024-02-23 02:13:53.418000+00:00",
            "20060102T150405Z",
            "15:04:05",
        ],
    ),
    ("<ip>", ["11.21.12.31", "10.0.0.254", "255.255.255.255", "0.0.0.0"]),
    (
        "<hex>",
        [
            "9af8c3be",
            "9AF8C3BE3A1231FE",
            "deadbeef",
            "0x9af8c3be",
            "0x9af8",
            "0xDEADBEEF",
            "5fc35719b9cf96ec602dbc748ff31c587a46961d",
            "0751007cd28df267e8e051b51f918c60",
            "b0" * 64,
            "12345678",
        ],
    ),
    ("<float>", ["0.23", "-1.5", "3.14159", "1.5e-05", "1700000000.123"]),
    ("<int>", ["23", "-23", "1234567", "0"]),
]


@pytest.mark.parametrize(
    ("placeholder", "examples"), FORMS, ids=[placeholder for placeholder, _ in FORMS]
)
def test_every_example_of_a_form_normalizes_alike_in_a_sentence(placeholder, examples):
    for example in examples:
        assert normalize_message(f"Invoice for {example} not synced") == (
            f"Invoice for {placeholder} not synced"
        ), example
        assert normalize_message(example) == placeholder, example
        assert normalize_message(f"not synced: {example}") == f"not synced: {placeholder}"
        assert normalize_message(f"{example} not synced") == f"{placeholder} not synced"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("see http://example.com/a.", "see <url>."),
        ('fetching "http://example.com/a" failed', 'fetching "<url>" failed'),
        ("(http://example.com/a)", "(<url>)"),
        ("write to maisey@example.com.", "write to <email>."),
        (
            "bea691f2-2e25-4bec-6838-e0c44b03d60a/7c1811ed-e98f-4c9c-a9f9-58c757ff494f",
            "<uuid>/<uuid>",
        ),
        ("0.0.0.0:80", "<ip>:<int>"),
        ("0:17502", "<int>:<int>"),
        ("value:-17502", "value:<int>"),
        ("value: -17502", "value: <int>"),
        ("415-908", "<int>-<int>"),
        ("job-4711", "job-<int>"),
        ('{"msg" => "(#239323)', '{"msg" => "(#<int>)'),
        ("cafe 123", "cafe <int>"),
        ("2006-01-40", "<int>-<int>-<int>"),
        ("2006-20-02", "<int>-<int>-<int>"),
        ("10000-01-02", "<int>-<int>-<int>"),
        ("2006-01", "<int>-<int>"),
        ("12:31:99", "<int>:<int>:<int>"),
        ("1.2.3.4.5", "<int>.<int>.<int>.<int>.<int>"),
        ("Django 5.2.1 is installed", "Django <int>.<int>.<int> is installed"),
        ("timed out after 30s", "timed out after <int>s"),
        ("took 1.52s", "took <float>s"),
        ("took 250ms", "took <int>ms"),
    ],
)
def test_values_next_to_punctuation_and_each_other(message, expected):
    assert normalize_message(message) == expected


@pytest.mark.parametrize(
    "literal",
    [
        "True",
        "false",
        "None",
        "cafe",
        "CAFE",
        "deadbee",
        "9af",
        "Option::unwrap()",
        "Bee::buzz()",
        "utf8",
        "sha256",
        "v2",
        "ipv4",
        "x86_64",
        "1st",
        "4xx",
        "A quick brown fox",
        "sync failed for %s (%d tries)",
    ],
)
def test_literals_stay_as_they_are(literal):
    assert normalize_message(literal) == literal
    assert normalize_message(f"Invoice for {literal} not synced") == (
        f"Invoice for {literal} not synced"
    )


def test_messages_differing_only_by_an_id_normalize_alike():
    assert normalize_message("Invoice for job 4711 not synced") == normalize_message(
        "Invoice for job 4712 not synced"
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Invoice for job 4711 not synced", "Invoice for job 4711 not sent"),
        ("flag is True", "flag is False"),
        ("flag is true", "flag is false"),
        ("key cafe missing", "key face missing"),
        ("commit deadbee missing", "commit deadbed missing"),
        ("encoding utf8 refused", "encoding utf16 refused"),
        ("sha256 mismatch", "sha512 mismatch"),
        ("api v2 gone", "api v3 gone"),
        ("4xx from Xero", "5xx from Xero"),
    ],
)
def test_distinct_literals_stay_distinct(one, other):
    assert normalize_message(one) != normalize_message(other)


def test_only_the_first_line_counts():
    assert normalize_message("a\nb") == normalize_message("a\nc") == "a"
    assert normalize_message("Sync failed\r\nTraceback ...") == "Sync failed"
    assert normalize_message("\n   Sync failed for 4711  \nmore") == "Sync failed for <int>"
    assert normalize_message("") == normalize_message(" \n ") == ""


def test_only_the_start_of_a_long_line_counts():
    long_line = "Invoice " + "x" * 2000
    assert normalize_message(long_line + " 4711") == normalize_message(long_line + " sent")
    assert len(normalize_message(long_line)) == errors.grouping.MAX_GROUPING_MESSAGE_LENGTH


@pytest.mark.parametrize(
    "hostile",
    [
        "a@" * 30000,
        "1." * 30000,
        "http://" + "a" * 60000,
        "http://" + "." * 60000,
        "a://" * 16000,
        "a." * 30000 + "@",
        "-1" * 30000,
        "0x" * 30000,
        "1:" * 30000,
        "7c1811ed-" * 7000,
        "2006-01-0" * 7000,
        "9" * 65536,
        "f" * 65536,
    ],
    ids=lambda hostile: f"{hostile[:9]}...({len(hostile)})",
)
def test_hostile_messages_normalize_in_bounded_work(hostile):
    """Each finishes (no catastrophic backtracking: the suite would hang otherwise), reading
    no further than the first MAX_GROUPING_MESSAGE_LENGTH characters."""
    start = hostile[: errors.grouping.MAX_GROUPING_MESSAGE_LENGTH]
    assert normalize_message(hostile) == normalize_message(start) != ""


def test_a_message_that_is_not_a_string_is_normalized_by_its_text():
    assert normalize_message(4711) == "<int>"


# Culprit


class InvoiceSync:
    def push(self):
        raise ConnectionError("Xero refused the invoice")


def raised(call) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("expected the call to raise")


def test_culprit_is_the_test_function_that_raised():
    try:
        raise ValueError("invoice total is negative")
    except ValueError as exc:
        error = exc
    assert culprit_for(error) == (
        "tests.test_grouping.test_culprit_is_the_test_function_that_raised"
    )


def test_culprit_of_a_method_names_its_class():
    assert culprit_for(raised(InvoiceSync().push)) == "tests.test_grouping.InvoiceSync.push"


@pytest.mark.parametrize(
    ("library_function", "argument"),
    [(json.loads, "{"), (uuid.UUID, "x"), (validate_email, "not-an-address")],
    ids=["json.loads", "uuid.UUID", "django validate_email"],
)
def test_culprit_of_an_error_raised_inside_a_library_is_the_project_caller(
    library_function, argument
):
    def sync_invoice():
        library_function(argument)

    error = raised(sync_invoice)
    assert isinstance(error, ValueError | ValidationError)
    assert culprit_for(error) == (
        "tests.test_grouping."
        "test_culprit_of_an_error_raised_inside_a_library_is_the_project_caller."
        "<locals>.sync_invoice"
    )


def test_culprit_skips_the_errors_app_itself():
    error = raised(lambda: app_errors_setting("NO_SUCH_SETTING"))
    assert isinstance(error, KeyError)
    assert culprit_for(error) == (
        "tests.test_grouping.test_culprit_skips_the_errors_app_itself.<locals>.<lambda>"
    )


@pytest.fixture
def project_root(settings, tmp_path) -> Path:
    """A project of our own making: code compiled with file names under ``tmp_path``."""
    settings.APP_ERRORS = {**settings.APP_ERRORS, "PROJECT_ROOT": str(tmp_path)}
    return tmp_path


def load_module(path: Path, name: str, source: str, **names) -> dict:
    """Run ``source`` as module ``name`` whose code lives at ``path``, as an import would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    namespace = {"__name__": name, **names}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


BILLING = """
def push_invoice():
    send()
"""

LIBRARY = """
def send():
    raise ConnectionError("refused")
"""


@pytest.mark.parametrize(
    "library_folder",
    [
        ".venv/lib/python3.11/site-packages",
        ".venv/lib",
        "venv/lib",
        "site-packages",
        "dist-packages",
        "vendor/site-packages",
    ],
)
def test_culprit_skips_installed_code_under_the_project_root(project_root, library_folder):
    library = load_module(project_root / library_folder / "xero.py", "xero", LIBRARY)
    billing = load_module(
        project_root / "billing" / "sync.py", "billing.sync", BILLING, send=library["send"]
    )
    assert culprit_for(raised(billing["push_invoice"])) == "billing.sync.push_invoice"


def test_culprit_is_none_when_no_frame_is_in_the_project(project_root):
    library = load_module(project_root / ".venv" / "lib" / "xero.py", "xero", LIBRARY)
    # this test's own frame is outside the project root now
    assert culprit_for(raised(library["send"])) is None


def test_culprit_is_none_without_a_traceback():
    assert culprit_for(ValueError("never raised")) is None
    assert culprit_for(None) is None


def test_moving_the_raise_down_keeps_the_culprit(project_root):
    path = project_root / "billing" / "sync.py"
    before = load_module(path, "billing.sync", "def push():\n    raise ValueError('x')\n")
    after = load_module(
        path, "billing.sync", "def push():\n    total = 0\n\n    raise ValueError(total)\n"
    )
    first, second = raised(before["push"]), raised(after["push"])
    assert first.__traceback__.tb_next.tb_lineno != second.__traceback__.tb_next.tb_lineno
    assert culprit_for(first) == culprit_for(second) == "billing.sync.push"


def test_culprit_skips_the_standard_library_even_under_the_project_root(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "PROJECT_ROOT": "/"}

    def parse():
        json.loads("{")

    assert json.__file__.startswith(sys.base_prefix)
    assert culprit_for(raised(parse)) == (
        "tests.test_grouping."
        "test_culprit_skips_the_standard_library_even_under_the_project_root.<locals>.parse"
    )


def test_culprit_of_code_without_a_module_name_is_its_function(project_root):
    path = project_root / "script.py"
    path.write_text(LIBRARY)
    namespace: dict = {}
    exec(compile(LIBRARY, str(path), "exec"), namespace)
    assert culprit_for(raised(namespace["send"])) == "send"


def test_culprit_never_raises_on_a_strange_value(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "PROJECT_ROOT": object()}
    assert culprit_for(raised(InvoiceSync().push)) is None
    assert culprit_for("not an exception") is None


# Fingerprint


def default_parts(
    *, exception_type="xero.XeroError", culprit="billing.sync.push_invoice", message="boom"
):
    return default_fingerprint_parts(
        exception_type=exception_type, culprit=culprit, message=message
    )


def test_default_parts_are_labelled_and_normalized():
    assert default_parts(message="Invoice 4711 refused\ntrace") == [
        "type:xero.XeroError",
        "culprit:billing.sync.push_invoice",
        "message:Invoice <int> refused",
    ]
    assert default_fingerprint_parts(exception_type=None, culprit=None, message="") == [
        "type:",
        "culprit:",
        "message:",
    ]


def test_logged_parts_use_the_unformatted_template():
    assert logged_fingerprint_parts(logger_name="billing", template="sync failed for %s") == [
        "logger:billing",
        "message:sync failed for %s",
    ]


def test_default_fingerprint_is_the_default_parts_hashed_with_the_version():
    fingerprint = build_fingerprint(default_parts())
    assert fingerprint == build_fingerprint(default_parts())
    assert fingerprint.parts == tuple(default_parts())
    assert fingerprint.version == GROUPING_VERSION
    assert len(fingerprint.hash) == 64
    int(fingerprint.hash, 16)
    assert isinstance(fingerprint, Fingerprint)


def test_occurrences_differing_only_by_values_share_a_fingerprint():
    one = build_fingerprint(default_parts(message="job 4711 for maisey@example.com at 10:00:00"))
    other = build_fingerprint(default_parts(message="job 52 for rex@example.org at 23:59:59"))
    assert one.hash == other.hash


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"exception_type": "xero.XeroError"}, {"exception_type": "xero.RateLimited"}),
        ({"culprit": "billing.sync.push_invoice"}, {"culprit": "billing.sync.pull_invoice"}),
        ({"message": "Invoice not synced"}, {"message": "Invoice not sent"}),
        ({"message": "flag is True"}, {"message": "flag is False"}),
        ({"message": "key cafe missing"}, {"message": "key face missing"}),
    ],
    ids=["type", "culprit", "message words", "True vs False", "short hex words"],
)
def test_occurrences_differing_in_what_matters_do_not_share_a_fingerprint(one, other):
    assert (
        build_fingerprint(default_parts(**one)).hash
        != build_fingerprint(default_parts(**other)).hash
    )


def test_parts_are_hashed_unambiguously():
    assert build_fingerprint([], ["a b", "c"]).hash != build_fingerprint([], ["a", "b c"]).hash
    assert build_fingerprint([], ["a,b"]).hash != build_fingerprint([], ["a", "b"]).hash
    assert build_fingerprint([], ['a", "b']).hash != build_fingerprint([], ["a", "b"]).hash


def test_a_new_grouping_version_moves_every_fingerprint(monkeypatch):
    before = build_fingerprint(default_parts())
    monkeypatch.setattr(errors.grouping, "GROUPING_VERSION", GROUPING_VERSION + 1)
    after = build_fingerprint(default_parts())
    assert after.parts == before.parts
    assert after.version == GROUPING_VERSION + 1
    assert after.hash != before.hash


@pytest.mark.parametrize("custom", [None, [], (), ""])
def test_no_custom_fingerprint_means_the_default(custom):
    assert build_fingerprint(default_parts(), custom) == build_fingerprint(default_parts())


@pytest.mark.parametrize("placeholder", [DEFAULT_PLACEHOLDER, "{{default}}"])
def test_custom_fingerprint_with_default_extends_it(placeholder):
    extended = build_fingerprint(default_parts(), ["xero-sync", placeholder])
    assert extended.parts == ("xero-sync", *default_parts())
    assert extended.hash != build_fingerprint(default_parts()).hash
    assert build_fingerprint(default_parts(), [placeholder]) == build_fingerprint(default_parts())


def test_custom_fingerprint_without_default_replaces_it():
    one = build_fingerprint(default_parts(message="Invoice refused"), ["xero-sync"])
    other = build_fingerprint(default_parts(exception_type="KeyError"), ["xero-sync"])
    assert one.parts == ("xero-sync",)
    assert one == other


def test_custom_fingerprint_given_as_a_string_is_one_part():
    assert build_fingerprint(default_parts(), "xero-sync") == build_fingerprint(
        default_parts(), ["xero-sync"]
    )
    assert build_fingerprint(default_parts(), DEFAULT_PLACEHOLDER) == build_fingerprint(
        default_parts()
    )


class Unprintable:
    def __str__(self):
        raise RuntimeError("no text for you")


class NotText:
    def __str__(self):
        return 42


def test_custom_parts_that_cannot_be_printed_become_placeholders():
    fingerprint = build_fingerprint(default_parts(), ["xero", Unprintable(), NotText(), 7, None])
    assert fingerprint.parts == (
        "xero",
        "<unprintable Unprintable>",
        "<unprintable NotText>",
        "7",
        "None",
    )
    assert fingerprint == build_fingerprint(
        default_parts(), ["xero", Unprintable(), NotText(), 7, None]
    )


def test_custom_fingerprint_given_as_a_set_is_ordered():
    assert build_fingerprint([], {"b", "a", "c"}).parts == ("a", "b", "c")
