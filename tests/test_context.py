import re
import traceback
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from demo.records import DemoJob
from errors.context import extract_job_context, extract_request_context
from errors.json_values import safe_str, to_json_safe
from errors.traces import format_trace


def test_request_context_for_an_anonymous_user():
    request = RequestFactory().post("/jobs/7/")
    request.user = AnonymousUser()
    context = extract_request_context(request)
    assert context["user_id"] is None and context["username"] is None
    assert (context["path"], context["method"]) == ("/jobs/7/", "POST")


def test_request_context_without_authentication_middleware():
    context = extract_request_context(RequestFactory().get("/x/"))
    assert context["user_id"] is None and context["path"] == "/x/"


@pytest.mark.django_db
def test_request_context_for_a_staff_member(staff):
    request = RequestFactory().get("/x/", {"q": "1"})
    request.user = staff
    context = extract_request_context(request)
    assert context["user_id"] == str(staff.pk)
    assert context["username"] == "alice"
    assert context["query_string"] == "q=1"


def test_job_context_takes_what_the_job_has():
    import datetime
    import decimal

    job = DemoJob(
        id=uuid.UUID(int=5),
        job_number=1042,
        name="Gate",
        client="Tui Signs",
        status="on_hold",
        quoted=decimal.Decimal(1),
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    context = extract_job_context(job)
    assert context["job_id"] == str(uuid.UUID(int=5))
    assert context["job_number"] == 1042
    assert context["client"] == "Tui Signs"
    assert context["created_at"] == "2026-01-01T00:00:00+00:00"
    assert extract_job_context(None) == {}


def test_job_context_survives_a_property_that_raises():
    class Job:
        id = 3

        @property
        def status(self):
            raise RuntimeError("lazy load failed")

    assert extract_job_context(Job()) == {"job_id": "3"}


def test_cycles_and_depth_are_marked_not_fatal():
    cyclic: dict = {"name": "root"}
    cyclic["self"] = cyclic
    assert to_json_safe(cyclic) == {"name": "root", "self": "<cycle>"}
    deep: list = []
    node = deep
    for _ in range(50):
        node.append([])
        node = node[0]
    rendered = str(to_json_safe(deep))
    assert "<max depth reached>" in rendered


def test_safe_str_of_an_object_whose_str_and_repr_raise():
    class Hostile:
        def __str__(self):
            raise RuntimeError

        __repr__ = __str__

    assert safe_str(Hostile()) == "<unprintable Hostile>"


def _standard_trace_without_markers(exception: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    return "".join(
        line for line in text.splitlines(True) if not re.fullmatch(r"\s*[\^~]+\s*", line)
    )


def _raised(make: Callable[[], BaseException]) -> BaseException:
    try:
        raise make()
    except BaseException as exception:
        return exception


def _recurse(depth: int) -> None:
    _recurse(depth + 1)


def _recursion_error() -> BaseException:
    try:
        _recurse(0)
    except RecursionError as exception:
        return exception
    raise AssertionError("unreachable")


def _chained(suppress: bool, *, direct: bool) -> BaseException:
    try:
        try:
            {}["contact"]
        except KeyError as cause:
            if suppress:
                raise RuntimeError("sync failed") from None
            if direct:
                raise RuntimeError("sync failed") from cause
            raise RuntimeError("sync failed")  # noqa: B904 - the implicit context is the case
    except RuntimeError as exception:
        return exception
    raise AssertionError("unreachable")


def _with_notes() -> BaseException:
    exception = _raised(lambda: ValueError(""))
    exception.add_note("invoice 7\nsecond line")
    return exception


def _cycle() -> BaseException:
    first, second = ValueError("first"), ValueError("second")
    first.__context__, second.__context__ = second, first
    return first


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


@pytest.mark.parametrize(
    "exception",
    [
        pytest.param(_raised(lambda: ValueError("Xero contact 42 missing")), id="plain"),
        pytest.param(_recursion_error(), id="recursion folded"),
        pytest.param(_chained(False, direct=True), id="raise from"),
        pytest.param(_chained(False, direct=False), id="during handling"),
        pytest.param(_chained(True, direct=True), id="from None"),
        pytest.param(_with_notes(), id="notes, empty message"),
        pytest.param(_raised(UnprintableError), id="str raises"),
        pytest.param(ValueError("never raised"), id="no traceback"),
        pytest.param(_cycle(), id="context cycle"),
    ],
)
def test_trace_reads_as_the_standard_one_without_position_markers(exception):
    assert format_trace(exception) == _standard_trace_without_markers(exception)


def test_trace_has_file_line_function_and_source_but_no_markers():
    trace = format_trace(_raised(lambda: ValueError("totals " + str(1 / 1))))
    assert f'File "{__file__}", line ' in trace and ", in _raised\n" in trace
    assert "    raise make()\n" in trace
    assert not re.search(r"^\s*[\^~]+\s*$", trace, flags=re.MULTILINE)


@pytest.mark.parametrize(
    "exception",
    [
        pytest.param(
            _raised(lambda: ExceptionGroup("two", [ValueError(1), KeyError(2)])), id="group"
        ),
        pytest.param(
            _raised(lambda: SyntaxError("bad", ("x.py", 1, 2, "a b", 1, 3))), id="syntax error"
        ),
    ],
)
def test_groups_and_syntax_errors_keep_the_standard_trace(exception):
    standard = traceback.format_exception(type(exception), exception, exception.__traceback__)
    assert format_trace(exception) == "".join(standard)
