from django.apps import AppConfig


class ReportsDemoConfig(AppConfig):
    name = "demo.reports"
    label = "accounting"
    verbose_name = "Reports and KPIs (demo)"
