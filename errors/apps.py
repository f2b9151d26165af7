from django.apps import AppConfig


class ErrorsConfig(AppConfig):
    name = "errors"
    verbose_name = "Application errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from errors import checks, signals  # noqa: F401  (registered on import)
        from errors.routers import detect_separate_database

        detect_separate_database()
