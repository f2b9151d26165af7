"""Run inside a fresh ``startproject`` site by tests/test_startproject.py (with that site's
own Python): records errors the three ways a host does, visits the dashboard and the API as
staff, and prints what it saw as JSON for the test to judge."""

import json
import logging
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from errors.models import AppError  # noqa: E402
from errors.services import persist_app_error  # noqa: E402

User = get_user_model()
facts: dict = {}


class Rollback(Exception):
    pass


try:
    with transaction.atomic():
        User.objects.create_user("rolled-back")
        try:
            raise ValueError("invoice push failed inside atomic")
        except ValueError as exc:
            persist_app_error(exc, additional_context={"invoice": 7})
        raise Rollback
except Rollback:
    pass
facts["rolled_back_user_exists"] = User.objects.filter(username="rolled-back").exists()
facts["error_inside_rolled_back_atomic_stored"] = AppError.objects.filter(
    message__contains="inside atomic"
).exists()

client = Client(HTTP_HOST="localhost", raise_request_exception=False)
facts["failing_view_status"] = client.get("/invoices/push/?invoice=7").status_code
view_error = AppError.objects.get(message__contains="host invoice total")
facts["failing_view_request_context"] = view_error.data.get("request")

try:
    raise KeyError("nightly export lost its file")
except KeyError:
    logging.getLogger("hostsite.exports").exception("nightly export failed")
facts["logged_error_stored"] = AppError.objects.filter(message__contains="nightly export").exists()

facts["anonymous_dashboard_status"] = client.get("/triage/").status_code
staff = User.objects.create_superuser("host-staff", "staff@example.com", "host-password")
facts["staff_pk_type"] = type(staff.pk).__name__
client.force_login(staff)

pages: dict[str, int] = {}
listing = client.get("/triage/")
pages["/triage/"] = listing.status_code
facts["dashboard_lists_the_view_error"] = "host invoice total" in listing.content.decode()
api = client.get("/triage/api/app-errors/")
pages["/triage/api/app-errors/"] = api.status_code
facts["api_lists_the_view_error"] = any(
    "host invoice total" in row["message"] for row in api.json()["results"]
)
resolve = client.post(f"/triage/api/app-errors/{view_error.pk}/mark_resolved/")
pages["/triage/api/app-errors/<id>/mark_resolved/"] = resolve.status_code
view_error.refresh_from_db()
facts["resolved_by_the_staff_member"] = view_error.resolved_by_id == staff.pk
detail = client.get(f"/triage/errors/{view_error.pk}/")
pages["/triage/errors/<id>/"] = detail.status_code
facts["detail_names_the_resolver"] = "host-staff" in detail.content.decode()
pages["/triage/api/schema/"] = client.get("/triage/api/schema/").status_code
pages["/triage/api/docs/"] = client.get("/triage/api/docs/").status_code
facts["pages"] = pages

facts["static_files_found"] = {
    name: finders.find(name) is not None
    for name in ("dashboard/app.css", "dashboard/vendor/chart.js-4.6.1/chart.umd.min.js")
}
facts["errors_database_tables"] = sorted(connections["errors"].introspection.table_names())
print(json.dumps(facts))
