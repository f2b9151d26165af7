"""Objects that refuse to be read, passed as any argument of persist_app_error: the error is
still stored, with a placeholder where a value could not be read, and the caller gets its
row rather than an exception or a None."""

import pytest

from errors.context import extract_job_context
from errors.models import AppError, Severity
from errors.services import AppErrorContext, persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")


class StrRaises:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        return "StrRaises()"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Untouchable(Unprintable):
    """Every attribute read raises, ``__class__`` (which ``isinstance`` reads) included;
    comparing and hashing raise too."""

    def __getattribute__(self, name: str):
        raise RuntimeError(f"no attribute {name}")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class UnprintableText(str):
    """A str whose methods raise."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def strip(self, chars=None):
        raise RuntimeError("no strip")

    def __getitem__(self, index):
        raise RuntimeError("no slicing")


class JobWhosePkRaises:
    job_number = "J-1042"

    @property
    def pk(self):
        raise RuntimeError("pk is not loaded")

    @property
    def id(self):
        raise RuntimeError("id is not loaded")


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


class UnreadableArgsError(Exception):
    @property
    def args(self):
        raise RuntimeError("no args")

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


# Made in each test: pytest itself cannot look at an Untouchable in a parameter list.
HOSTILE = [StrRaises, Unprintable, Untouchable, lambda: UnprintableText("xero")]
HOSTILE_IDS = ["str-raises", "unprintable", "untouchable", "unprintable-text"]


def failing(exception_type: type[BaseException] = ValueError) -> BaseException:
    try:
        raise exception_type("boom")
    except BaseException as exc:
        return exc


def stored(error: AppError | None) -> AppError:
    assert error is not None and not error._state.adding, "the row was not stored"
    return AppError.objects.get(pk=error.pk)


def placeholder_for(value: object) -> str:
    """What is stored for a value: its text, else its repr, else a placeholder naming its
    type."""
    if type(value) is StrRaises:
        return "StrRaises()"
    if type(value) is UnprintableText:
        return "xero"
    return f"<unprintable {type(value).__name__}>"


@pytest.mark.parametrize("make", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("argument", ["app", "file", "function"])
def test_unreadable_location_is_stored_as_a_placeholder(argument, make):
    value = make()
    error = stored(persist_app_error(failing(), **{argument: value}))
    assert getattr(error, argument) == placeholder_for(value)


@pytest.mark.parametrize("make", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("argument", ["job_id", "user_id", "severity"])
def test_unreadable_ids_and_severity_are_kept_as_placeholders(argument, make):
    value = make()
    error = stored(persist_app_error(failing(), **{argument: value}))
    assert error.data[f"invalid_{argument}"] == placeholder_for(value)
    assert error.severity == Severity.ERROR
    assert (error.job_id, error.user_id) == (None, None)


@pytest.mark.parametrize("make", HOSTILE, ids=HOSTILE_IDS)
def test_unreadable_context_values_and_keys_are_placeholders(make):
    value = make()
    context = {"value": value, "nested": {"list": [value, 1]}}
    if type(value) is not Untouchable:  # cannot be a dict key: hashing it raises
        context[value] = "under an odd key"
    error = stored(persist_app_error(failing(), additional_context=context))
    assert error.data["value"] == placeholder_for(value)
    assert error.data["nested"] == {"list": [placeholder_for(value), 1]}
    if type(value) is not Untouchable:
        assert error.data[placeholder_for(value)] == "under an odd key"


class MappingWithoutALength(dict):
    def __len__(self) -> int:
        raise RuntimeError("no length")

    def __bool__(self) -> bool:
        raise RuntimeError("no truth")


def test_a_context_mapping_whose_length_raises_is_still_read():
    error = stored(persist_app_error(failing(), additional_context=MappingWithoutALength(a=1)))
    assert error.data["a"] == 1


def test_an_empty_context_adds_nothing():
    error = stored(persist_app_error(failing(), additional_context={}))
    assert set(error.data) == {"trace", "exception_type"}


def test_a_job_whose_pk_raises_is_kept_as_a_placeholder():
    job = JobWhosePkRaises()
    error = stored(
        persist_app_error(failing(), job_id=job, additional_context=extract_job_context(job))
    )
    assert error.job_id is None
    assert "JobWhosePkRaises" in error.data["invalid_job_id"]
    assert error.data["job_number"] == "J-1042"
    assert error.data["job_id"] is None


def test_unreadable_values_inside_an_app_error_context_are_placeholders():
    context = AppErrorContext(
        app=Unprintable(),
        job_id=Untouchable(),
        severity=Unprintable(),
        additional_context={"value": Unprintable()},
    )
    error = stored(persist_app_error(failing(), context))
    assert error.app == "<unprintable Unprintable>"
    assert error.data["invalid_job_id"] == "<unprintable Untouchable>"
    assert error.data["invalid_severity"] == "<unprintable Unprintable>"
    assert error.data["value"] == "<unprintable Unprintable>"


def test_an_untouchable_object_in_place_of_the_context_is_a_placeholder_app():
    error = stored(persist_app_error(failing(), Untouchable()))
    assert error.app == "<unprintable Untouchable>"


@pytest.mark.parametrize("exception_type", [UnprintableError, UnreadableArgsError])
def test_an_exception_that_cannot_be_read_is_stored(exception_type):
    error = stored(persist_app_error(failing(exception_type)))
    assert error.message  # its repr, else its type's name
    assert error.data["exception_type"].endswith(exception_type.__name__)
    assert exception_type.__name__ in error.data["trace"]
