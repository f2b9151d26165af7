"""Hostile input is stored, bounded and safe: every call below gives a row, never an exception.

NUL characters: PostgreSQL refuses them in text and jsonb, so there they are stored as U+2400
(the visible "SYMBOL FOR NULL"); SQLite keeps them, so there text round-trips unchanged.
"""

import sys
from collections.abc import Mapping

import pytest
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errors.limits import NUL_MARKER, TRUNCATION_MARKER
from errors.models import AppError
from errors.routers import errors_alias
from errors.scrubbing import is_secret_key, scrub_text
from errors.services import RESERVED_DATA_KEYS, persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

TWENTY_MB = 20 * 1024 * 1024


def as_stored(text: str) -> str:
    """What the errors database can hold of a surrogate-free text."""
    if connections[errors_alias()].vendor == "sqlite":
        return text
    return text.replace("\x00", NUL_MARKER)


def failing(message: object = "boom", exception_type: type[BaseException] = ValueError):
    try:
        raise exception_type(message)
    except BaseException as exc:
        return exc


def stored(error: AppError) -> AppError:
    assert error is not None and not error._state.adding, "the row was not stored"
    return AppError.objects.get(pk=error.pk)


def test_nul_bytes_in_message_context_keys_and_values_are_stored():
    error = stored(
        persist_app_error(
            failing("invoice\x00 7"),
            additional_context={"ke\x00y": "val\x00ue", "nested": ["a\u0000b"]},
        )
    )
    assert error.message == as_stored("invoice\x00 7")
    assert error.data[as_stored("ke\x00y")] == as_stored("val\x00ue")
    assert error.data["nested"] == [as_stored("a\x00b")]
    assert as_stored("invoice\x00 7") in error.data["trace"]


def test_nul_in_location_columns_is_stored():
    error = stored(persist_app_error(failing(), app="a\x00pp", file="f\x00.py", function="f\x00"))
    assert (error.app, error.file, error.function) == (
        as_stored("a\x00pp"),
        as_stored("f\x00.py"),
        as_stored("f\x00"),
    )


def test_lone_surrogates_become_replacement_characters():
    error = stored(
        persist_app_error(failing("half \ud800 pair"), additional_context={"k\udfff": "\udc80"})
    )
    assert error.message == "half \ufffd pair"
    assert error.data["k\ufffd"] == "\ufffd"


def test_invalid_utf8_bytes_are_kept_escaped():
    error = stored(persist_app_error(failing(b"\xff\xfe"), additional_context={"raw": b"ok\xc3("}))
    assert error.message == "b'\\xff\\xfe'"
    assert error.data["raw"] == "ok\\xc3("


def test_huge_message_is_truncated_with_a_marker_and_its_size(settings):
    error = stored(persist_app_error(failing("x" * TWENTY_MB)))
    limit = 64 * 1024
    assert len(error.message) == limit
    assert error.message.endswith(TRUNCATION_MARKER)
    assert error.data["truncated"]["message"] == TWENTY_MB
    assert error.data["truncated"]["trace"] > TWENTY_MB
    assert len(error.data["trace"]) == 256 * 1024


def test_limits_are_configurable(settings):
    settings.APP_ERRORS = {
        **settings.APP_ERRORS,
        "MAX_MESSAGE_LENGTH": 100,
        "MAX_TRACE_LENGTH": 500,
        "MAX_CONTEXT_VALUE_LENGTH": 50,
        "MAX_CONTEXT_LENGTH": 1000,
    }
    context = {"note": "n" * 80, "rows": ["r" * 100] * 30, "small": 1}
    error = stored(persist_app_error(failing("m" * 1000), additional_context=context))
    assert len(error.message) == 100
    assert len(error.data["trace"]) == 500
    assert error.data["note"] == "n" * (50 - len(TRUNCATION_MARKER)) + TRUNCATION_MARKER
    assert error.data["rows"].startswith(TRUNCATION_MARKER)  # too big to keep whole
    assert error.data["small"] == 1
    assert error.data["truncated"]["context"] > 3000


def test_huge_context_is_truncated_with_its_size():
    context = {"body": "b" * TWENTY_MB, "many": list(range(200_000)), "after": "kept"}
    error = stored(persist_app_error(failing(), additional_context=context))
    assert len(error.data["body"]) == 16 * 1024
    assert error.data["many"].startswith(TRUNCATION_MARKER)
    assert error.data["after"] == "kept"
    assert error.data["truncated"]["context"] > TWENTY_MB


def test_cyclic_and_deep_structures_are_stored():
    cyclic: dict = {"name": "loop"}
    cyclic["self"] = cyclic
    looped: list = [1]
    looped.append(looped)
    deep: list = []
    for _ in range(sys.getrecursionlimit() * 3):
        deep = [deep]
    error = stored(
        persist_app_error(failing(), additional_context={"c": cyclic, "l": looped, "d": deep})
    )
    assert error.data["c"] == {"name": "loop", "self": "<cycle>"}
    assert error.data["l"] == [1, "<cycle>"]
    assert "<max depth reached>" in str(error.data["d"])


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def test_objects_whose_str_and_repr_raise_are_stored():
    error = stored(
        persist_app_error(failing(), additional_context={"thing": Unprintable(), "k": {1, 2}})
    )
    assert error.data["thing"] == "<unprintable Unprintable>"


def test_exception_whose_str_raises_is_stored():
    error = stored(persist_app_error(failing(exception_type=UnprintableError)))
    assert error.message  # its repr, or its type's name
    assert error.data["exception_type"].endswith("UnprintableError")


def test_exception_never_raised_has_no_traceback_and_is_stored():
    error = stored(persist_app_error(ValueError("never raised")))
    assert error.message == "never raised"
    assert "test_exception_never_raised" in error.data["stack"]


class ShutdownRequested(BaseException):
    pass


@pytest.mark.parametrize(
    "exception",
    [KeyboardInterrupt(), SystemExit(3), GeneratorExit(), ShutdownRequested("stop")],
)
def test_base_exception_subclasses_are_stored(exception):
    try:
        raise exception
    except BaseException as exc:
        error = stored(persist_app_error(exc))
    assert error.data["exception_type"].endswith(type(exception).__name__)


def test_non_exceptions_are_stored():
    assert stored(persist_app_error("just a string")).message == "just a string"
    assert stored(persist_app_error(None)).message == "None"


class ExplodingMapping(Mapping):
    def __getitem__(self, key):
        raise RuntimeError("cannot read items")

    def __iter__(self):
        return iter(["a"])

    def __len__(self) -> int:
        return 1


def test_a_context_that_cannot_be_read_still_gives_a_row():
    error = stored(persist_app_error(failing(), additional_context=ExplodingMapping()))
    assert "cannot read items" in error.data["unreadable_context"]


def test_overlong_location_is_truncated_to_the_column_size():
    error = stored(persist_app_error(failing(), app="a" * 500, file="f" * 500, function="g" * 500))
    assert (len(error.app), len(error.file), len(error.function)) == (100, 255, 255)


def test_integers_too_wide_for_json_are_kept_as_text():
    error = stored(persist_app_error(failing(), additional_context={"n": 10**40, "ok": 2**62}))
    assert error.data["n"] == "<integer of 133 bits>"
    assert error.data["ok"] == 2**62


def test_hostile_error_renders_safely_in_the_dashboard_and_api(staff_client):
    error = stored(
        persist_app_error(
            failing("<script>alert(1)</script>\x00\ud800"),
            additional_context={"html": "<img src=x onerror=alert(1)>", "k\x00": "v"},
        )
    )
    page = staff_client.get(f"/errors/{error.pk}/")
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.content
    assert b"<img src=x" not in page.content
    api = staff_client.get(f"/api/app-errors/{error.pk}/")
    assert api.status_code == 200
    assert api.json()["message"] == as_stored("<script>alert(1)</script>\x00\ufffd")


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
context_keys = st.text(max_size=20).filter(
    lambda key: not is_secret_key(key) and key not in RESERVED_DATA_KEYS
)


def round_trips(stored_value, value) -> bool:
    """JSON equality, where a float may come back from PostgreSQL's jsonb (numeric) as the
    int its decimal form spells."""
    if isinstance(value, str):
        return stored_value == as_stored(value)
    if isinstance(value, dict):
        return isinstance(stored_value, dict) and all(
            round_trips(stored_value.get(as_stored(key)), item) for key, item in value.items()
        )
    if isinstance(value, list):
        return (
            isinstance(stored_value, list)
            and len(stored_value) == len(value)
            and all(map(round_trips, stored_value, value))
        )
    if isinstance(value, float):
        return not isinstance(stored_value, bool) and float(stored_value) == value
    return stored_value == value and type(stored_value) is type(value)


def has_secret_key_or_digits(value) -> bool:
    """Values the scrubber may rightly change: secret-looking keys, long digit runs, text
    holding a credential."""
    if isinstance(value, dict):
        return any(is_secret_key(k) or has_secret_key_or_digits(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_secret_key_or_digits(item) for item in value)
    return isinstance(value, str) and (
        sum(char.isdigit() for char in value) >= 13 or scrub_text(value) != value
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.text(max_size=200),
    context=st.dictionaries(context_keys, json_values, max_size=5),
)
def test_any_message_and_context_give_a_row_that_round_trips(message, context):
    error = stored(persist_app_error(failing(message), additional_context=context))
    assert error.message == (as_stored(message) or "ValueError")
    if not has_secret_key_or_digits(context):
        for key, value in context.items():
            assert round_trips(error.data[as_stored(key)], value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.text(alphabet=st.characters(exclude_categories=()), max_size=100))
def test_any_text_including_surrogates_gives_a_row(message):
    stored(persist_app_error(failing(message), additional_context={"value": message}))


def test_context_cannot_overwrite_what_truncation_records(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "MAX_MESSAGE_LENGTH": 50}
    error = stored(persist_app_error(failing("m" * 100), additional_context={"truncated": "no"}))
    assert error.data["truncated"]["message"] == 100
    assert error.data["context_truncated"] == "no"


def test_context_keys_named_like_the_invalid_value_notes_are_kept_beside_them():
    error = stored(
        persist_app_error(
            failing(),
            severity="loud",
            additional_context={"invalid_severity": None, "invalid_job_id": 5},
        )
    )
    assert error.data["invalid_severity"] == "loud"
    assert error.data["context_invalid_severity"] is None
    assert error.data["context_invalid_job_id"] == 5
    assert "invalid_job_id" not in error.data
