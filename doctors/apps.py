from django.apps import AppConfig


class DoctorsConfig(AppConfig):
    name = "doctors"
    verbose_name = "Doctors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import role_assigned
        from doctors.signals import doctor_profile_ensure

        role_assigned.connect(doctor_profile_ensure, dispatch_uid="doctors.profile_ensure")
