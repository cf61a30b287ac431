"""Writes of consultations: booking, the lifecycle, clinical notes and prescriptions.

Every service owns its transaction and locks before it checks. Lock order, the same in
every service so that no two of them can deadlock: the consultation row first, then
slot rows in primary-key order (`slot_lock.lock_slots`).
"""

from ._base import ONE_ACTIVE_PER_SLOT
from .booking import consultation_book, consultation_reschedule
from .booking_statement import consultation_book_statement
from .clinical import NotesWrite, consultation_notes_write, consultation_prescription_issue
from .lifecycle import (
    consultation_cancel,
    consultation_complete,
    consultation_mark_no_show,
    consultation_start,
)

__all__ = [
    "ONE_ACTIVE_PER_SLOT",
    "NotesWrite",
    "consultation_book",
    "consultation_book_statement",
    "consultation_cancel",
    "consultation_complete",
    "consultation_mark_no_show",
    "consultation_notes_write",
    "consultation_prescription_issue",
    "consultation_reschedule",
    "consultation_start",
]
