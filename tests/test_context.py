import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from demo.records import DemoJob
from errors.context import extract_job_context, extract_request_context, safe_str, to_json_safe


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
