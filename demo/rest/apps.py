from django.apps import AppConfig


class RestDemoConfig(AppConfig):
    name = "demo.rest"
    label = "workflow"
    verbose_name = "REST views (demo)"
