"""What payments does when consultations signals a booking or a cancel (its signals.py)."""

from __future__ import annotations

from typing import Any

from .services import payment_hold_open, payment_hold_release_expired, payment_on_cancel


def release_lapsed_hold(*, slot: Any, actor: Any, **kwargs: Any) -> None:
    payment_hold_release_expired(slot=slot, actor=actor)


def open_hold(*, consultation: Any, fee: Any, actor: Any, **kwargs: Any) -> None:
    payment_hold_open(consultation=consultation, fee=fee, actor=actor)


def refund(*, consultation: Any, actor: Any, **kwargs: Any) -> None:
    payment_on_cancel(consultation=consultation, actor=actor)
