"""Exporting the error list: the dashboard's links and the API's endpoints download every
error the filter matches, with the API's columns and values, in the list's order."""

import csv
import datetime
import io
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from rest_framework.test import APIClient

from errors.api.serializers import AppErrorSerializer
from errors.export import iter_app_error_rows
from errors.models import AppError
from errors.selectors import filter_app_errors, list_app_errors
from errors.services import resolve_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

CSV_URL, JSONL_URL = "/errors/export.csv", "/errors/export.jsonl"
API_CSV, API_JSONL = "/api/app-errors/export.csv", "/api/app-errors/export.jsonl"
FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def download(client, url: str, params: dict | None = None) -> bytes:
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def json_lines(content: bytes) -> list[dict]:
    return [json.loads(line) for line in content.decode().splitlines()]


def stores_nul_bytes() -> bool:
    return connections["errors"].vendor == "sqlite"


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Auckland"])
def test_json_lines_of_a_filtered_view_are_the_api_rows_in_the_list_order(
    staff_client, api, staff, settings, time_zone
):
    settings.TIME_ZONE = time_zone
    job = uuid.uuid4()
    for hours in range(1, 8):
        AppErrorFactory(message=f"xero timeout {hours}", app="xero", age_hours=hours, job_id=job)
    AppErrorFactory(message="sage timeout", app="sage")
    resolve_app_error(
        error=AppErrorFactory(message="xero resolved", app="xero", age_hours=9), by=staff
    )
    params = {"app": "xero", "ordering": "-severity,timestamp"}

    exported = json_lines(download(staff_client, JSONL_URL, params))

    listed = api.get("/api/app-errors/", {**params, "page_size": 200}).json()
    assert exported == listed["results"]
    assert len(exported) == listed["count"] == 8
    resolved = next(row for row in exported if row["message"] == "xero resolved")
    assert resolved["resolved_by"] == {"id": str(staff.pk), "name": "Alice"}


def test_csv_of_a_filtered_view_counts_what_the_api_counts(staff_client, api):
    for hours in range(1, 6):
        AppErrorFactory(message=f"unresolved {hours}", severity="error", age_hours=hours)
    AppErrorFactory(message="only a warning", severity="warning")
    AppErrorFactory(message="another app", app="sage", severity="critical")
    params = {"severity__gte": "error", "app": "xero", "resolved": "false"}

    rows = csv_rows(download(staff_client, CSV_URL, params))

    assert len(rows) == api.get("/api/app-errors/", params).json()["count"] == 5
    assert {row["message"] for row in rows} == {f"unresolved {hours}" for hours in range(1, 6)}


def test_csv_has_the_api_columns_and_readable_values(staff_client, staff):
    error = AppErrorFactory(message="Xero said no", severity="critical")
    resolve_app_error(error=error, by=staff)

    (row,) = csv_rows(download(staff_client, CSV_URL))

    assert list(row) == AppErrorSerializer.Meta.fields
    assert row["id"] == str(error.pk)
    assert row["severity"] == "50" and row["severity_name"] == "CRITICAL"
    assert row["exception_type"] == "ValueError"
    assert row["resolved"] == "true" and row["resolved_by"] == "Alice"
    assert row["job_id"] == "" and row["timestamp"].endswith("Z")


def test_csv_starts_with_a_byte_order_mark_so_spreadsheets_read_utf8(staff_client):
    AppErrorFactory(message="Fehler beim Übertragen: Ω ✓ 日本語")
    content = download(staff_client, CSV_URL)
    assert content.startswith(b"\xef\xbb\xbfid,timestamp,")
    assert csv_rows(content)[0]["message"] == "Fehler beim Übertragen: Ω ✓ 日本語"


def test_csv_neutralizes_formulas_and_json_lines_keep_them(staff_client):
    for hours, message in enumerate(FORMULAS, start=1):
        AppErrorFactory(message=message, app="=cmd|' /C calc'!A0", age_hours=hours)

    rows = csv_rows(download(staff_client, CSV_URL))
    lines = json_lines(download(staff_client, JSONL_URL))

    assert [row["message"] for row in rows] == [f"'{message}" for message in FORMULAS]
    assert {row["app"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert [line["message"] for line in lines] == FORMULAS


def test_json_lines_round_trip_hostile_strings(staff_client):
    hostile = [
        '<script>alert("x")</script> & <b>',
        "naïve café — 🚀 \u202eevil\u202c 日本語 עברית",
        'line one\nline two\r\n"quoted", comma',
        "a\x00b" if stores_nul_bytes() else "a\u2400b",
    ]
    for hours, message in enumerate(hostile, start=1):
        AppErrorFactory(message=message, age_hours=hours)

    lines = json_lines(download(staff_client, JSONL_URL))
    rows = csv_rows(download(staff_client, CSV_URL))

    assert [line["message"] for line in lines] == hostile
    assert [row["message"] for row in rows] == hostile


def assert_exported_in_list_order(ordering: str) -> None:
    """The export's ids, read in chunks of three, are the list's in ``ordering``."""
    filterset = filter_app_errors({"ordering": ordering} if ordering else {})
    assert filterset.is_valid()
    listed = [str(pk) for pk in list_app_errors(filterset).values_list("pk", flat=True)]

    exported = [row[0] for chunk in iter_app_error_rows(filterset, chunk_size=3) for row in chunk]

    assert exported == listed, ordering


def test_export_follows_the_list_order_across_chunks_with_ties_and_empty_apps(staff):
    for index in range(12):
        AppErrorFactory(
            message=f"e{index}", app=["xero", "", "sage"][index % 3] or None, age_hours=index % 4
        )
    AppError.objects.filter(message__in=["e1", "e4"]).update(app=None)
    for ordering in ("", "app", "-app,timestamp", "resolved,-severity", "function"):
        assert_exported_in_list_order(ordering)


@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL])
def test_bad_filter_is_a_400_naming_the_field_on_the_dashboard(staff_client, url):
    response = staff_client.get(url, {"severity": "loud", "timestamp__gte": "yesterday"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "severity:" in text and "timestamp__gte:" in text


@pytest.mark.parametrize("url", [API_CSV, API_JSONL])
def test_bad_filter_is_a_400_naming_the_field_in_the_api(api, url):
    response = api.get(url, {"resolved": "maybe"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert "resolved" in response.json()


def test_api_export_is_the_dashboard_export(api, staff_client):
    for hours in range(1, 4):
        AppErrorFactory(message=f"timeout {hours}", age_hours=hours)
    params = {"search": "timeout"}
    assert json_lines(download(api, API_JSONL, params)) == json_lines(
        download(staff_client, JSONL_URL, params)
    )
    assert csv_rows(download(api, API_CSV, params)) == csv_rows(
        download(staff_client, CSV_URL, params)
    )


@pytest.mark.parametrize(
    ("url", "content_type", "suffix"),
    [(CSV_URL, "text/csv", ".csv"), (API_JSONL, "application/jsonl", ".jsonl")],
)
def test_download_is_an_attachment_named_for_what_and_when(staff_client, url, content_type, suffix):
    AppErrorFactory()
    response = staff_client.get(url)
    assert response["Content-Type"].startswith(content_type)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="app-errors-20')
    assert disposition.endswith(f'Z{suffix}"')


@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL])
def test_export_is_for_staff_only_on_the_dashboard(client, django_user_model, url):
    AppErrorFactory()
    assert client.get(url).status_code == 302  # to the login page
    member = django_user_model.objects.create_user(username="bob", password="bob-password")
    client.force_login(member)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [API_CSV, API_JSONL])
def test_export_is_for_staff_only_in_the_api(django_user_model, url):
    AppErrorFactory()
    client = APIClient()
    assert client.get(url).status_code in {401, 403}
    client.force_authenticate(django_user_model.objects.create_user(username="bob"))
    assert client.get(url).status_code == 403


def test_list_page_links_to_exports_of_its_filter_and_order(staff_client):
    for hours in range(1, 4):
        AppErrorFactory(message=f"timeout {hours}", age_hours=hours)
    AppErrorFactory(message="other app", app="sage")
    page = staff_client.get(
        "/errors/", {"app": "xero", "ordering": "-severity", "page": "1"}, follow=True
    )
    assert page.redirect_chain == [("/errors/?app=xero&ordering=-severity", 302)]  # page 1: default
    html = page.content.decode()
    query = "?app=xero&amp;ordering=-severity"
    assert f'href="{CSV_URL}{query}"' in html and ">Export CSV</a>" in html
    assert f'href="{JSONL_URL}{query}"' in html and ">Export JSON lines</a>" in html

    rows = csv_rows(download(staff_client, CSV_URL, {"app": "xero", "ordering": "-severity"}))
    assert len(rows) == 3


def test_list_page_with_an_unreadable_filter_offers_no_export(staff_client):
    html = staff_client.get("/errors/", {"severity": "loud"}).content.decode()
    assert "Export CSV" not in html


def test_exports_are_in_the_openapi_schema_with_the_list_filters(api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    for path, media_type in ((API_CSV, "text/csv"), (API_JSONL, "application/jsonl")):
        operation = paths[path]["get"]
        assert media_type in operation["responses"]["200"]["content"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"app", "severity__gte", "resolved", "search", "ordering"} <= names


@pytest.mark.parametrize("time_zone", ["UTC", "America/St_Johns"])
def test_times_with_whole_seconds_and_round_fractions_are_shown_as_the_api_shows_them(
    staff_client, api, staff, settings, time_zone
):
    settings.TIME_ZONE = time_zone
    moments = [
        datetime.datetime(2026, 11, 3, 9, 15, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 3, 9, 15, 1, 120000, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 3, 9, 15, 2, 5, tzinfo=datetime.UTC),
    ]
    for moment in moments:
        error = AppErrorFactory(message=f"at {moment}")
        AppError.objects.filter(pk=error.pk).update(
            timestamp=moment, resolved=True, resolved_timestamp=moment, resolved_by=staff
        )

    exported = json_lines(download(staff_client, JSONL_URL))

    assert exported == api.get("/api/app-errors/").json()["results"]
    shown = [moment.astimezone(ZoneInfo(time_zone)).isoformat() for moment in moments[::-1]]
    assert [row["timestamp"] for row in exported] == [text.replace("+00:00", "Z") for text in shown]


def test_export_continues_exactly_across_chunks_of_errors_at_the_same_moment(staff):
    moment = datetime.datetime(2026, 11, 3, 9, 15, 0, 250000, tzinfo=datetime.UTC)
    for index in range(10):
        AppErrorFactory(message=f"same moment {index}", app=["xero", "sage"][index % 2])
    AppError.objects.update(timestamp=moment)
    for ordering in ("", "timestamp", "app,-timestamp"):
        assert_exported_in_list_order(ordering)


HOSTILE_CELLS = [
    'comma, "quoted" and\nline\r\nbreaks',
    "=SUM(A1)",
    "plain",
    "naïve — 🚀 日本語",
]


def test_hostile_text_in_every_text_column_round_trips_through_both_formats(
    staff_client, api, staff
):
    # Within one chunk a column holds hostile texts, plain texts and empty values, so a
    # column-wide decision (quote, neutralize, null) has to hold for each of its cells.
    for hours, text in enumerate([*HOSTILE_CELLS, None], start=1):
        error = AppErrorFactory(message=text or "no text", exception=KeyError, age_hours=hours)
        AppError.objects.filter(pk=error.pk).update(
            app=text, file=text, function=text, release=text, environment=text
        )
        if text == "plain":
            resolve_app_error(error=error, by=staff)

    lines = json_lines(download(staff_client, JSONL_URL))
    rows = csv_rows(download(staff_client, CSV_URL))

    assert lines == api.get("/api/app-errors/").json()["results"]
    assert len(rows) == len(lines) == 5
    for row, line in zip(rows, lines, strict=True):
        for name in ("message", "app", "file", "function", "release", "environment"):
            expected = line[name] or ""
            shown = "'" + expected if expected.startswith("=") else expected
            assert row[name] == shown, name
        assert row["resolved_by"] == ("Alice" if line["resolved_by"] else "")
        assert row["resolved"] == ("true" if line["resolved"] else "false")


@pytest.mark.parametrize("stored_before_the_column", [False, True])
@pytest.mark.parametrize(
    "data",
    [{}, {"exception_type": ""}, {"exception_type": None}, {"exception_type": "Timeout"}],
)
def test_exception_type_is_shown_as_the_api_shows_it(
    staff_client, api, data, stored_before_the_column
):
    error = AppErrorFactory()
    error.data = data
    error.save()  # the column follows data
    if stored_before_the_column:  # only the JSON holds the type (PostgreSQL's older rows)
        AppError.objects.filter(pk=error.pk).update(exception_type=None)

    (line,) = json_lines(download(staff_client, JSONL_URL))
    (row,) = csv_rows(download(staff_client, CSV_URL))

    assert line == api.get("/api/app-errors/").json()["results"][0]
    assert line["exception_type"] == (data.get("exception_type") or None)
    assert row["exception_type"] == (data.get("exception_type") or "")


def test_severity_outside_the_named_levels_is_other_in_both_formats(staff_client, api):
    error = AppErrorFactory(severity="warning")
    AppError.objects.filter(pk=error.pk).update(severity=35)

    (line,) = json_lines(download(staff_client, JSONL_URL))
    (row,) = csv_rows(download(staff_client, CSV_URL))

    assert line == api.get("/api/app-errors/").json()["results"][0]
    assert (line["severity"], line["severity_name"]) == (35, "OTHER")
    assert (row["severity"], row["severity_name"]) == ("35", "OTHER")


def test_each_resolver_is_named_on_their_own_errors(staff_client, api, staff, django_user_model):
    bob = django_user_model.objects.create_user(username="bob", is_staff=True)
    for hours in range(1, 7):
        error = AppErrorFactory(message=f"e{hours}", age_hours=hours)
        if hours % 3:
            resolve_app_error(error=error, by=staff if hours % 3 == 1 else bob)

    lines = json_lines(download(staff_client, JSONL_URL))
    rows = csv_rows(download(staff_client, CSV_URL))

    assert lines == api.get("/api/app-errors/").json()["results"]
    assert [line["resolved_by"] and line["resolved_by"]["name"] for line in lines] == [
        "Alice", "bob", None, "Alice", "bob", None
    ]  # fmt: skip
    assert [row["resolved_by"] for row in rows] == ["Alice", "bob", "", "Alice", "bob", ""]
