from django.apps import AppConfig


class ErrorsConfig(AppConfig):
    name = "errors"
    verbose_name = "Application errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from errors import checks, signals  # noqa: F401  (checks register on import)
        from errors.routers import detect_separate_database

        detect_separate_database()
        post_migrate.connect(signals.group_small_backlog, sender=self)
