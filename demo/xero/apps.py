from django.apps import AppConfig


class XeroDemoConfig(AppConfig):
    name = "demo.xero"
    label = "xero"
    verbose_name = "Xero accounting sync (demo)"
