"""One error's page: everything about it, with links that narrow the list."""

import uuid

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def test_detail_shows_the_error_trace_context_and_filter_links(staff_client):
    job, user = uuid.uuid4(), uuid.uuid4()
    error = AppErrorFactory(
        message="Invoice 7 rejected", job_id=job, user_id=user, context={"invoice": {"number": 7}}
    )
    response = staff_client.get(reverse("error_detail", args=[error.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Invoice 7 rejected" in html
    assert '<pre class="trace" tabindex="0">' in html and "ValueError" in html
    assert "&quot;invoice&quot;: {\n    &quot;number&quot;: 7\n  }" in html
    for query in ("app=xero", "function=sync_contacts", f"job_id={job}", f"user_id={user}"):
        assert f'href="/errors/?{query}"' in html
    assert ">Resolve</button>" in html


def test_detail_lists_other_occurrences_of_the_same_failure(staff_client):
    error = AppErrorFactory(message="boom 1", age_hours=1)
    same = AppErrorFactory(message="boom 2", age_hours=2)
    elsewhere = AppErrorFactory(message="boom 3", function="other_function")
    html = staff_client.get(reverse("error_detail", args=[error.pk])).content.decode()
    assert reverse("error_detail", args=[same.pk]) in html
    assert reverse("error_detail", args=[elsewhere.pk]) not in html


def test_detail_shows_who_resolved_it(staff_client, staff):
    error = AppErrorFactory()
    staff_client.post(reverse("error_resolve", args=[error.pk]))
    html = staff_client.get(reverse("error_detail", args=[error.pk])).content.decode()
    assert "Resolved by Alice" in html
    assert ">Unresolve</button>" in html


def test_other_occurrences_have_their_own_index_on_postgresql():
    """The related query filters on the exception type inside ``data``; PostgreSQL sorts a
    hot function's every error without an index on that expression (migration 0007)."""
    from django.db import connections

    from errors.routers import errors_alias

    connection = connections[errors_alias()]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite walks the (function, timestamp) index newest first already")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'apperror_related'")
        (definition,) = cursor.fetchone()
    assert "(function, app, ((data -> 'exception_type'::text)), \"timestamp\", id)" in definition
