import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from errors.models import AppError
from errors.services import resolve_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = "/api/app-errors/"


def messages(response) -> list[str]:
    return [row["message"] for row in response.json()["results"]]


def test_list_is_newest_first_with_count_and_links(api):
    AppErrorFactory(message="old", age_hours=3)
    AppErrorFactory(message="new", age_hours=1)
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert messages(response) == ["new", "old"]
    assert "data" not in body["results"][0]


def test_list_pages_by_fifty_and_page_size_up_to_two_hundred(api):
    for index in range(55):
        AppErrorFactory(message=f"e{index}", age_hours=index + 1)
    first = api.get(LIST).json()
    assert len(first["results"]) == 50 and first["count"] == 55
    assert "page=2" in first["next"]
    second = api.get(LIST, {"page": 2}).json()
    assert len(second["results"]) == 5 and second["previous"]
    assert len(api.get(LIST, {"page_size": 200}).json()["results"]) == 55
    assert len(api.get(LIST, {"page_size": 10}).json()["results"]) == 10


def test_count_is_exact_up_to_the_cap_and_says_when_it_stops(api, monkeypatch):
    from errors import counting

    monkeypatch.setattr(counting, "COUNT_CAP", 3)
    for index in range(5):
        AppErrorFactory(message=f"timeout {index}", age_hours=index + 1)
    AppErrorFactory(message="other", app="sage")
    for params in (
        {"file__icontains": "sync"},  # every row here: xero/sync.py, sage/sync.py
        {"search": "timeout"},
        {"search": "timeout", "app": "xero"},
    ):
        body = api.get(LIST, {**params, "page_size": 1}).json()
        assert (body["count"], body["count_is_exact"]) == (3, False), params
        assert "page=2" in body["next"]
    # What the hourly and daily totals answer is exact however large.
    everything = api.get(LIST, {"page_size": 2}).json()
    assert (everything["count"], everything["count_is_exact"]) == (6, True)
    exact = api.get(LIST, {"app": "sage"}).json()
    assert (exact["count"], exact["count_is_exact"]) == (1, True)
    # A page past the cap is still served, and counted up to its end.
    deep = api.get(LIST, {"search": "timeout", "page_size": 2, "page": 3}).json()
    assert [row["message"] for row in deep["results"]] == ["timeout 4"]
    assert (deep["count"], deep["count_is_exact"], deep["next"]) == (5, True, None)


def test_a_bare_search_is_counted_like_a_filtered_one(api):
    for index in range(4):
        AppErrorFactory(message=f"ledger sync failed {index}", app="xero" if index % 2 else "sage")
    AppErrorFactory(message="unrelated")
    bare = api.get(LIST, {"search": "ledger sync"}).json()
    everywhere = api.get(LIST, {"search": "ledger sync", "severity__gte": "debug"}).json()
    assert bare["count"] == everywhere["count"] == 4
    assert bare["count_is_exact"] and everywhere["count_is_exact"]
    assert api.get(LIST, {"search": '"sync ledger"'}).json()["count"] == 0
    assert api.get(LIST, {"search": "!!!"}).json()["count"] == 0


def test_list_reads_in_a_fixed_number_of_queries(api, staff, count_queries):
    for index in range(5):
        resolve_app_error(error=AppErrorFactory(message=f"e{index}"), by=staff)
    with count_queries() as queries:
        assert api.get(LIST).status_code == 200
    assert queries == [4]  # count, the page's ids, its rows, their resolvers


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 9}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"ordering": "message"}, "ordering"),
        ({"timestamp__gte": "yesterday"}, "timestamp__gte"),
        ({"timestamp__lte": "2026-13-45"}, "timestamp__lte"),
        ({"job_id": "not-a-uuid"}, "job_id"),
        ({"user_id": "123"}, "user_id"),
        ({"severity": "loud"}, "severity"),
        ({"resolved": "maybe"}, "resolved"),
        ({"app": "x\x00y"}, "app"),
    ],
)
def test_invalid_parameters_are_a_400_naming_the_field(api, params, field):
    AppErrorFactory(message="one")
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"app": "xero"}, ["xero warning", "xero error"]),
        ({"app__icontains": "ER"}, ["xero warning", "xero error"]),
        ({"severity": "warning"}, ["xero warning"]),
        ({"severity": "40"}, ["xero error", "jobs error"]),
        ({"severity__gte": "error"}, ["xero error", "jobs error"]),
        ({"severity__lte": "30"}, ["xero warning"]),
        ({"resolved": "true"}, ["jobs error"]),
        ({"resolved": "false"}, ["xero warning", "xero error"]),
        ({"file": "xero/api.py"}, ["xero warning"]),
        ({"file__icontains": "API"}, ["xero warning"]),
        ({"function": "push"}, ["xero error"]),
        ({"function__icontains": "US"}, ["xero error"]),
        ({"timestamp__gte": 2}, ["xero warning"]),
        ({"timestamp__lte": 2}, ["xero error", "jobs error"]),
    ],
)
def test_every_filter(api, staff, params, expected):
    AppErrorFactory(
        message="xero warning", severity="warning", file="xero/api.py", function="pull", age_hours=1
    )
    AppErrorFactory(message="xero error", file="xero/sync.py", function="push", age_hours=3)
    jobs = AppErrorFactory(
        message="jobs error", app="jobs", file="jobs/run.py", function="run", age_hours=5
    )
    resolve_app_error(error=jobs, by=staff)
    for name in ("timestamp__gte", "timestamp__lte"):
        if name in params:  # hours ago
            params = {name: (timezone.now() - datetime.timedelta(hours=params[name])).isoformat()}
    response = api.get(LIST, params)
    assert response.status_code == 200, response.json()
    assert messages(response) == expected


def test_job_and_user_filters(api):
    job, user = uuid.uuid4(), uuid.uuid4()
    AppErrorFactory(message="for job", job_id=job)
    AppErrorFactory(message="for user", user_id=user)
    AppErrorFactory(message="neither")
    assert messages(api.get(LIST, {"job_id": str(job)})) == ["for job"]
    assert messages(api.get(LIST, {"user_id": str(user)})) == ["for user"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("timestamp", ["c", "b", "a"]),
        ("-timestamp", ["a", "b", "c"]),
        ("severity", ["b", "a", "c"]),
        ("-severity", ["c", "a", "b"]),
        ("app", ["c", "a", "b"]),
        ("-app", ["b", "a", "c"]),
        ("resolved,-timestamp", ["a", "b", "c"]),
        ("-resolved,timestamp", ["c", "b", "a"]),
    ],
)
def test_every_ordering(api, staff, ordering, expected):
    AppErrorFactory(message="a", app="m", severity="error", age_hours=1)
    AppErrorFactory(message="b", app="z", severity="warning", age_hours=2)
    resolve_app_error(
        error=AppErrorFactory(message="c", app="a", severity="critical", age_hours=3), by=staff
    )
    assert messages(api.get(LIST, {"ordering": ordering})) == expected


def test_detail_has_all_fields_data_and_names(api, staff):
    error = AppErrorFactory(message="detailed", context={"invoice": "INV-7"})
    resolve_app_error(error=error, by=staff)
    response = api.get(f"{LIST}{error.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(error.pk)
    assert body["severity"] == 40 and body["severity_name"] == "ERROR"
    assert body["resolved_by"] == {"id": str(staff.pk), "name": "Alice"}
    assert body["data"]["invoice"] == "INV-7" and "ValueError" in body["data"]["trace"]
    assert body["exception_type"] == "ValueError"


def test_detail_of_a_bad_uuid_is_a_400_and_of_a_missing_one_a_404(api):
    bad = api.get(f"{LIST}not-a-uuid/")
    assert bad.status_code == 400 and "id" in bad.json()
    missing = api.get(f"{LIST}{uuid.uuid4()}/")
    assert missing.status_code == 404 and "detail" in missing.json()
    assert api.post(f"{LIST}nope/mark_resolved/").status_code == 400


def test_mark_resolved_records_who_and_when_and_is_idempotent(api, staff):
    error = AppErrorFactory(message="to resolve")
    first = api.post(f"{LIST}{error.pk}/mark_resolved/")
    assert first.status_code == 200
    body = first.json()
    assert body["resolved"] is True and body["resolved_by"]["id"] == str(staff.pk)
    again = api.post(f"{LIST}{error.pk}/mark_resolved/").json()
    assert again["resolved_timestamp"] == body["resolved_timestamp"]
    error.refresh_from_db()
    assert error.resolved and error.resolved_by_id == staff.pk


def test_mark_unresolved_clears_the_resolution_and_is_idempotent(api, staff):
    error = AppErrorFactory(message="to reopen")
    resolve_app_error(error=error, by=staff)
    for _ in range(2):
        body = api.post(f"{LIST}{error.pk}/mark_unresolved/").json()
        assert body["resolved"] is False and body["resolved_by"] is None
        assert body["resolved_timestamp"] is None
    error.refresh_from_db()
    assert not error.resolved and error.resolved_by_id is None


def test_bulk_resolve_by_ids_returns_how_many_changed(api, staff):
    a, b, c = (
        AppErrorFactory(message="a"),
        AppErrorFactory(message="b"),
        AppErrorFactory(message="c"),
    )
    resolve_app_error(error=b, by=staff)
    response = api.post(f"{LIST}bulk_resolve/", {"ids": [str(a.pk), str(b.pk)]}, format="json")
    assert response.status_code == 200 and response.json() == {"resolved": 1}
    assert set(AppError.objects.filter(resolved=True).values_list("message", flat=True)) == {
        "a",
        "b",
    }
    c.refresh_from_db()
    assert not c.resolved


def test_bulk_resolve_by_the_current_filter(api):
    AppErrorFactory(message="xero one")
    AppErrorFactory(message="xero two")
    AppErrorFactory(message="jobs one", app="jobs")
    response = api.post(f"{LIST}bulk_resolve/?app=xero", {}, format="json")
    assert response.json() == {"resolved": 2}
    assert list(AppError.objects.filter(resolved=False).values_list("app", flat=True)) == ["jobs"]


def test_bulk_resolve_refuses_everything_by_accident_and_bad_ids(api):
    AppErrorFactory(message="a")
    empty = api.post(f"{LIST}bulk_resolve/", {}, format="json")
    assert empty.status_code == 400 and "ids" in empty.json()
    bad = api.post(f"{LIST}bulk_resolve/", {"ids": ["nope"]}, format="json")
    assert bad.status_code == 400 and "ids" in bad.json()
    bad_filter = api.post(f"{LIST}bulk_resolve/?severity=loud", {}, format="json")
    assert bad_filter.status_code == 400 and "severity" in bad_filter.json()
    assert not AppError.objects.filter(resolved=True).exists()


def test_trends_count_the_filtered_errors_by_bucket(api):
    AppErrorFactory(message="w", severity="warning", age_hours=1)
    AppErrorFactory(message="e", severity="error", age_hours=1)
    AppErrorFactory(message="other app", app="jobs", age_hours=1)
    since = (timezone.now() - datetime.timedelta(hours=6)).isoformat()
    response = api.get(f"{LIST}trends/", {"app": "xero", "timestamp__gte": since})
    assert response.status_code == 200
    body = response.json()
    assert body["bucket"] == "hour" and body["total"] == 2
    assert sum(body["by_severity"]["WARNING"]) == 1 and sum(body["by_severity"]["ERROR"]) == 1
    assert list(body["by_app"]) == ["xero"]
    assert api.get(f"{LIST}trends/", {"timestamp__gte": "soon"}).status_code == 400


def test_unauthenticated_gets_json_not_a_redirect():
    client = APIClient()
    for response in (client.get(LIST), client.post(f"{LIST}bulk_resolve/", {}, format="json")):
        assert response.status_code in (401, 403)
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()


def test_non_staff_are_refused(django_user_model):
    user = django_user_model.objects.create_user(username="outsider", password="x")
    client = APIClient()
    client.force_authenticate(user)
    assert client.get(LIST).status_code == 403


def test_viewer_may_read_but_not_resolve(viewer_api):
    error = AppErrorFactory(message="look only")
    assert viewer_api.get(LIST).status_code == 200
    assert viewer_api.get(f"{LIST}{error.pk}/").status_code == 200
    for path in ("mark_resolved", "mark_unresolved"):
        response = viewer_api.post(f"{LIST}{error.pk}/{path}/")
        assert response.status_code == 403 and "detail" in response.json()
    bulk = viewer_api.post(f"{LIST}bulk_resolve/", {"ids": [str(error.pk)]}, format="json")
    assert bulk.status_code == 403
    error.refresh_from_db()
    assert not error.resolved


def test_token_authentication(staff):
    token = Token.objects.create(user=staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(LIST).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    refused = client.get(LIST)
    assert refused.status_code in (401, 403) and "token" in refused.json()["detail"].lower()


def test_session_authentication(client, staff):
    client.force_login(staff)
    assert client.get(LIST).status_code == 200


def test_schema_documents_every_endpoint_and_filter(staff_client):
    response = staff_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/app-errors/",
        "/api/app-errors/{id}/",
        "/api/app-errors/{id}/mark_resolved/",
        "/api/app-errors/{id}/mark_unresolved/",
        "/api/app-errors/bulk_resolve/",
        "/api/app-errors/trends/",
    ):
        assert path in paths
    listed = {parameter["name"] for parameter in paths["/api/app-errors/"]["get"]["parameters"]}
    expected = {
        "app", "app__icontains", "file", "file__icontains", "function", "function__icontains",
        "severity", "severity__gte", "severity__lte", "job_id", "user_id", "resolved",
        "timestamp__gte", "timestamp__lte", "search", "ordering", "page", "page_size",
    }  # fmt: skip
    assert expected <= listed
    trend_parameters = paths["/api/app-errors/trends/"]["get"]["parameters"]
    assert {"app", "search"} <= {parameter["name"] for parameter in trend_parameters}
    page = schema["components"]["schemas"]["PaginatedAppErrorList"]
    assert {"count", "count_is_exact", "results"} <= set(page["required"])
    assert page["properties"]["count_is_exact"]["type"] == "boolean"


def test_docs_are_served_without_a_cdn(staff_client):
    response = staff_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"timestamp__gte": "0001-01-01T00:00:00+05:00"},
        {"timestamp__lte": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_dates_no_database_can_hold_are_a_400(api, params):
    for path in (LIST, f"{LIST}trends/"):
        response = api.get(path, params)
        assert response.status_code == 400 and set(response.json()) == set(params)


def test_trends_refuse_a_span_of_centuries(api):
    response = api.get(f"{LIST}trends/", {"timestamp__gte": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400 and "timestamp__gte" in response.json()
    year = (timezone.now() - datetime.timedelta(days=365)).isoformat()
    assert api.get(f"{LIST}trends/", {"timestamp__gte": year}).status_code == 200


@pytest.mark.parametrize("key", ["wrong", "\x00" * 40, "g" * 40, "A" * 40])
def test_malformed_tokens_are_refused_without_a_database_error(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get(LIST)
    assert response.status_code in (401, 403) and response.json()["detail"] == "Invalid token."


def test_a_malformed_session_cookie_is_ignored_not_a_server_error(client):
    client.cookies["sessionid"] = "\x00" * 32
    response = client.get(LIST)
    assert response.status_code == 403 and "detail" in response.json()
