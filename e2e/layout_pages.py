"""The pages the layout, theme and accessibility journeys visit, with rows that stretch them:
long names, every severity, resolved and open errors, ids, an alert rule with a failed
delivery. Each page is opened as staff see it; the login page signed out."""

import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from errors.alerts.models import AlertDelivery, AlertRule
from errors.models import AppError
from errors.services import resolve_app_error
from tests.factories import AppErrorFactory

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (360, 390, 768, 1440, 2560)
JOB_ID = uuid.UUID("3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f")
USER_ID = uuid.UUID("b0a844e5-2587-4e6b-9c9b-cf35873be078")


@dataclass(frozen=True)
class Scenario:
    """What was seeded: an open error (with a job and a user), its group, an alert rule."""

    error: AppError
    rule: AlertRule

    def paths(self) -> dict[str, str]:
        """Every page in scope that is reached by its address (the bulk confirmation is
        reached by a form: ``open_bulk_confirmation``; the login page signed out)."""
        return {
            "groups": "/",
            "errors": "/errors/",
            "group": f"/groups/{self.error.group_id}/",
            "error": f"/errors/{self.error.pk}/",
            "alerts": "/alerts/",
            "alert rule": f"/alerts/{self.rule.pk}/",
            "new alert rule": "/alerts/new/",
        }


def seed_layout_scenario(staff) -> Scenario:
    """Rows that make the tables as wide as real data does."""
    for hour in range(6):
        AppErrorFactory(
            message=f"Contacts: Validation error: EmailAddress is invalid (client #{hour})",
            app="xero",
            file="demo/xero/contact_sync.py",
            function="XeroContactSync.push_contact_with_retries",
            job_id=JOB_ID,
            user_id=USER_ID,
            age_hours=hour + 1,
        )
    for severity in ("critical", "warning", "info", "debug"):
        AppErrorFactory(
            message=f"A {severity} from the nightly billing run, with a long message " * 3,
            app="billing",
            file="demo/billing/monthly_runs.py",
            function="BillingRun.run_for_month",
            severity=severity,
            job_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            age_hours=8,
        )
    resolved = AppErrorFactory(message="Report timed out", app="reports", age_hours=30)
    resolve_app_error(error=resolved, by=staff)
    error = AppErrorFactory(
        message="Invoice for job 1014 not synced", app="xero", job_id=JOB_ID, user_id=USER_ID
    )
    rule = AlertRule.objects.create(
        name="Payments on call",
        triggers=["new_group", "regression"],
        app="billing",
        webhook_url="https://chat.example.com/hooks/T000/B000/secret-token",
        emails=["oncall@example.com"],
    )
    AlertDelivery.objects.create(
        rule=rule,
        group_id=error.group_id,
        event="new_group",
        channel="webhook",
        status="failed",
        attempts=6,
        last_error="HTTP 500 from chat.example.com after 6 attempts",
    )
    return Scenario(error=error, rule=rule)


def open_bulk_confirmation(page: Page, base_url: str) -> None:
    """The confirmation page a bulk resolve shows without JavaScript: the form posted as a
    browser without htmx would post it (htmx listens to the button's click, not the form)."""
    page.goto(f"{base_url}/errors/")
    page.locator("#results tbody input[name=ids]").first.check()
    page.evaluate(
        """() => {
            const form = document.getElementById("bulk-form");
            form.requestSubmit(form.querySelector("button[value=selected]"));
        }"""
    )
    expect(page.get_by_role("heading", name="Resolve 1 error?")).to_be_visible()


def horizontal_overflow(page: Page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def controls_out_of_reach(page: Page) -> list[str]:
    """Every rendered link, button and field that lies, even in part, outside the window or
    outside the table frame around it (so it could only be reached by scrolling sideways)."""
    return page.evaluate(
        """() => {
            const out = [];
            const controls = "a[href], button, input:not([type=hidden]), select, textarea";
            for (const control of document.querySelectorAll(controls)) {
                const box = control.getBoundingClientRect();
                if (box.width === 0 && box.height === 0) continue;  // not rendered
                const frame = control.closest(".table-wrap");
                const limit = frame ? frame.getBoundingClientRect() : {left: 0, right: innerWidth};
                const left = Math.max(0, limit.left);
                const right = Math.min(innerWidth, limit.right);
                if (box.left < left - 1 || box.right > right + 1) {
                    out.push(control.outerHTML.slice(0, 160));
                }
            }
            return out;
        }"""
    )


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((violation) => ["serious", "critical"].includes(violation.impact))
                .map((violation) => `${violation.id} (${violation.impact}): ` +
                    violation.nodes.slice(0, 5).map((node) => node.target.join(" ")).join(", "));
        }"""
    )
