from django.apps import AppConfig


class JobsDemoConfig(AppConfig):
    name = "demo.jobs"
    label = "job"
    verbose_name = "Jobs (demo)"
