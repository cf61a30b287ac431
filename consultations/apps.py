from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = "Consultations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Emails and reminders read consultations through this one function.
        from notifications.sources import register_consultation_loader

        from .selectors import consultation_facts

        register_consultation_loader(consultation_facts)
