"""What this app knows of a consultation: the facts an email or a reminder needs, and
nothing clinical. The consultations app sits above this one (it records outbox events
here), so it registers the function that reads these facts when it is ready."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ConsultationFacts:
    id: Any
    status: str
    patient_id: Any
    doctor_user_id: Any
    doctor_name: str
    doctor_time_zone: str
    start: dt.datetime
    end: dt.datetime


_loader: Callable[[Any], ConsultationFacts] | None = None


def register_consultation_loader(loader: Callable[[Any], ConsultationFacts]) -> None:
    global _loader
    _loader = loader


def consultation_facts(consultation_id: Any) -> ConsultationFacts:
    if _loader is None:
        raise ImproperlyConfigured("No consultation loader is registered.")
    return _loader(consultation_id)
