from django.apps import AppConfig


class DoctorsConfig(AppConfig):
    name = "doctors"
    verbose_name = "Doctors"
    default_auto_field = "django.db.models.BigAutoField"
