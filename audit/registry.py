"""The one place that says which models django-auditlog tracks, and how each is masked."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from auditlog.registry import auditlog
from django.apps import apps
from django.db import models

logger = logging.getLogger("amrutam.audit")

MASK = "[REDACTED]"
MASK_CALLABLE = "audit.registry.mask"


@dataclass(frozen=True)
class Tracked:
    label: str
    exclude: tuple[str, ...] = ()
    # A model another part of the service may not have yet; skipped when absent.
    optional: bool = False
    extra_masked: tuple[str, ...] = ()


# Idempotency records are not tracked: they are a cache of answers, not clinic data.
TRACKED = (
    # Name and email are masked like PHI: the trail keeps ids only, so erasing a
    # patient's identity never needs to touch a hashed, append-only entry.
    Tracked("accounts.User", exclude=("password", "last_login"), extra_masked=("email", "name")),
    Tracked("accounts.PatientProfile"),
    Tracked("doctors.DoctorProfile"),
    Tracked("doctors.AvailabilitySlot"),
    Tracked("doctors.ScheduleRule", optional=True),
    Tracked("doctors.TimeOff", optional=True),
    Tracked("consultations.Consultation"),
    Tracked("consultations.ClinicalNotes", optional=True),
    Tracked("consultations.Prescription", optional=True),
)


def mask(value: str) -> str:
    """Replace a value with a constant: the default masker keeps half of the plaintext."""
    return MASK


def masked_fields(model: type[models.Model], extra: tuple[str, ...] = ()) -> list[str]:
    """Every encrypted field of `model`, plus keyed hashes of PHI (`*_hash`)."""
    names = [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "encrypted", False) or f.name.endswith("_hash")
    ]
    return sorted({*names, *extra})


def reverse_relations(model: type[models.Model]) -> list[str]:
    """Names of the relations other models hold to `model` (not columns of its row).

    django-auditlog diffs every field `_meta.get_fields()` lists, reverse one-to-ones
    included: reading `consultation.prescription` costs a query per relation on every
    save and never yields a change. They are left out of the diff.
    """
    return [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]


def register_models() -> list[str]:
    """Register every tracked model with django-auditlog; returns the labels registered."""
    registered = []
    for tracked in TRACKED:
        try:
            model = apps.get_model(tracked.label)
        except LookupError:
            if not tracked.optional:
                raise
            logger.info("audit_model_absent", extra={"model": tracked.label})
            continue
        auditlog.register(
            model,
            exclude_fields=[*tracked.exclude, *reverse_relations(model)],
            mask_fields=masked_fields(model, tracked.extra_masked),
            mask_callable=MASK_CALLABLE,
        )
        registered.append(tracked.label)
    return registered
