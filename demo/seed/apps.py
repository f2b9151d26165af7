from django.apps import AppConfig


class SeedDemoConfig(AppConfig):
    """Holds the ``seed_demo_errors`` command: demo data belongs to the demo, not to the
    reusable errors app."""

    name = "demo.seed"
    label = "demo_seed"
    verbose_name = "Demo errors"
