"""The roles of the wire contract (API.md): every app checks them, so they live below all apps."""

from django.db import models


class Role(models.TextChoices):
    PATIENT = "PATIENT", "Patient"
    DOCTOR = "DOCTOR", "Doctor"
    ADMIN = "ADMIN", "Admin"
