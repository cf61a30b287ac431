"""Writes of the doctors app: profile, verification, slots, weekly schedule, time off.

Every service that adds or changes a doctor's slots first takes a FOR NO KEY UPDATE lock
on the doctor's row, so one doctor's slot writes run one at a time and their overlap
checks see each other. That lock does not conflict with the FOR KEY SHARE lock that a
booking's insert takes on the same row, so bookings never wait for it. The exclusion
constraint on slots still guards every other writer.
"""

from ._base import MAX_GENERATE_DAYS, MAX_RULES, MAX_SLOTS_PER_REQUEST
from .profile import doctor_profile_update, doctor_verify
from .schedule import ScheduleOutcome, schedule_update, slots_generate
from .slots import slot_delete, slots_create
from .time_off import TimeOffOutcome, time_off_create

__all__ = [
    "MAX_GENERATE_DAYS",
    "MAX_RULES",
    "MAX_SLOTS_PER_REQUEST",
    "ScheduleOutcome",
    "TimeOffOutcome",
    "doctor_profile_update",
    "doctor_verify",
    "schedule_update",
    "slot_delete",
    "slots_create",
    "slots_generate",
    "time_off_create",
]
