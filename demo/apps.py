from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a trial run (`manage.py seed`): above every other app, since it
    fills them all, and depended on by none."""

    name = "demo"
    verbose_name = "Demo data"
    default_auto_field = "django.db.models.BigAutoField"
