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
