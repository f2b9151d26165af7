"""A context holding a 20 MB string: the text is cut before it is scrubbed and serialized
(bench/capture_bench.py measures what that saves), and the stored value says it was cut."""

import pytest

from errors.limits import TRUNCATION_MARKER
from errors.models import AppError
from errors.scrubbing import FILTERED
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

TWENTY_MB = 20 * 1024 * 1024
VALUE_LIMIT = 16 * 1024


def failing() -> ValueError:
    try:
        raise ValueError("upload failed")
    except ValueError as exc:
        return exc


def stored_data(context: dict) -> dict:
    error = persist_app_error(failing(), additional_context=context)
    assert error is not None and not error._state.adding
    return AppError.objects.get(pk=error.pk).data


def test_a_20_mb_string_is_stored_cut_and_marked_truncated():
    body = "order 10442 shipped; " * (TWENTY_MB // 21)
    data = stored_data({"body": body, "after": "kept"})
    assert len(data["body"]) == VALUE_LIMIT
    assert data["body"] == body[: VALUE_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    assert data["after"] == "kept"
    assert data["truncated"]["context"] >= len(body)


def test_a_20_mb_key_is_cut_too():
    data = stored_data({"k" * TWENTY_MB: "value"})
    (key,) = (key for key in data if key.startswith("k"))
    assert len(key) == VALUE_LIMIT and key.endswith(TRUNCATION_MARKER)
    assert data["truncated"]["context"] >= TWENTY_MB


def test_a_secret_straddling_the_cut_is_filtered_before_it_is_cut():
    """The scrubber sees a little more than is kept, so a card number the cut would halve
    is still recognised and filtered, leaving no digits of it behind."""
    card = "4111 1111 1111 1111"
    text = "x" * (VALUE_LIMIT - len(TRUNCATION_MARKER) - 8) + card + "y" * TWENTY_MB
    data = stored_data({"note": text})
    assert "4111" not in data["note"]
    assert data["note"].startswith("x" * 100)
    assert data["note"].endswith(TRUNCATION_MARKER)
    assert FILTERED[:8] in data["note"]


def test_20_mb_in_many_strings_is_read_only_as_far_as_can_be_stored():
    """Past twice the context's limit of text, longer strings are replaced by the
    marker whole (never in part: half a secret would pass the scrubber); short ones and
    the entries that fit are kept."""
    rows = [f"row {number} " + "x" * 10_000 for number in range(2_000)]
    data = stored_data({"first": "y" * 10_000, "rows": rows, "after": "kept"})
    assert data["first"] == "y" * 10_000
    assert data["rows"].startswith(TRUNCATION_MARKER)  # too big to keep whole
    assert data["after"] == "kept"
    assert data["truncated"]["context"] >= 2_000 * 10_000


def test_a_string_past_the_read_ahead_is_the_marker_not_a_part(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "MAX_CONTEXT_LENGTH": 1_000}
    secret = "postgres://app:" + "p" * 200 + "@db/app"
    data = stored_data({"a": "a" * 1_990, "note": secret})
    assert data["note"] == TRUNCATION_MARKER
    assert "ppp" not in str(data)
