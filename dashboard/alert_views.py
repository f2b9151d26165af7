"""Alert rules on the dashboard: the list, a rule's page with its recent deliveries, the
rule form (htmx swaps it in place; a plain POST without JavaScript), and "Send a test
alert". Each needs staff and the matching alert rule permission."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from dashboard.access import staff_required
from dashboard.alert_forms import AlertRuleForm
from dashboard.alert_tables import AlertDeliveryTable, AlertRuleTable
from errors.alerts.models import AlertRule
from errors.alerts.selectors import (
    RECENT_DELIVERIES,
    get_alert_rule,
    list_alert_rules,
    list_rule_deliveries,
)
from errors.alerts.services import delete_alert_rule, save_alert_rule, send_test_alert

FORM_TEMPLATE = "dashboard/alerts/rule_form.html"
DETAIL_TEMPLATE = "dashboard/alerts/rule_detail.html"


def require_rule_permission(request: HttpRequest, action: str) -> None:
    if not request.user.has_perm(f"errors.{action}_alertrule"):
        raise PermissionDenied(f"You may not {action} alert rules.")


def rule_or_404(rule_id: int) -> AlertRule:
    rule = get_alert_rule(rule_id)
    if rule is None:
        raise Http404("No such alert rule.")
    return rule


@require_http_methods(["GET"])
@staff_required
def alert_rule_list(request: HttpRequest) -> HttpResponse:
    require_rule_permission(request, "view")
    table = AlertRuleTable(list_alert_rules())
    RequestConfig(request, paginate=False).configure(table)
    return TemplateResponse(request, "dashboard/alerts/rule_list.html", {"table": table})


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
@staff_required
def alert_rule_detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    require_rule_permission(request, "view")
    rule = rule_or_404(rule_id)
    return render_rule_page(request, rule)


def render_rule_page(
    request: HttpRequest, rule: AlertRule, *, only_deliveries: bool = False
) -> HttpResponse:
    """The rule's page, or only its deliveries (the test button's answer, the refresh)."""
    table = AlertDeliveryTable(list_rule_deliveries(rule)[:RECENT_DELIVERIES])
    RequestConfig(request, paginate=False).configure(table)
    template = DETAIL_TEMPLATE
    if only_deliveries or (
        request.htmx
        and not request.htmx.history_restore_request
        and request.htmx.target == "deliveries"
    ):
        template = f"{DETAIL_TEMPLATE}#deliveries"
    context = {"rule": rule, "deliveries": table, "recent": RECENT_DELIVERIES}
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@staff_required
def alert_rule_create(request: HttpRequest) -> HttpResponse:
    require_rule_permission(request, "add")
    return rule_form(request, AlertRule())


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@staff_required
def alert_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    require_rule_permission(request, "change")
    return rule_form(request, rule_or_404(rule_id))


def rule_form(request: HttpRequest, rule: AlertRule) -> HttpResponse:
    """The form, or after a valid POST the rule's page (HX-Redirect for htmx). An invalid
    form comes back with its errors: the whole page, or only the form for htmx."""
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        rule = save_alert_rule(rule=form.save(commit=False))
        messages.success(request, f"Rule “{rule.name}” saved.")
        target = reverse("alert_rule_detail", args=[rule.pk])
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    template = FORM_TEMPLATE
    if request.htmx and not request.htmx.history_restore_request and request.method == "POST":
        template = f"{FORM_TEMPLATE}#form"
    return TemplateResponse(request, template, {"form": form, "rule": rule})


@require_POST
@staff_required
def alert_rule_test(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Send a test alert now; the rule's page (or, for htmx, its deliveries) shows how it
    went."""
    require_rule_permission(request, "change")
    rule = rule_or_404(rule_id)
    deliveries = send_test_alert(rule=rule)
    outcome = ", ".join(f"{d.get_channel_display()}: {d.get_status_display()}" for d in deliveries)
    messages.info(request, f"Test alert: {outcome or 'the rule has nowhere to send to'}.")
    if request.htmx:
        return render_rule_page(request, rule, only_deliveries=True)
    return redirect("alert_rule_detail", rule_id=rule.pk)


@require_POST
@staff_required
def alert_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    require_rule_permission(request, "delete")
    rule = rule_or_404(rule_id)
    delete_alert_rule(rule=rule)
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("alert_rule_list")
