"""Signals consultations sends for the apps above it (payments); it imports none of them.

Each is sent inside the transaction of the change, with the consultation's (or the
slot's) row lock held, so a receiver's writes commit or roll back with it, and a
receiver that raises (an ApplicationError such as a 503) refuses the whole change.
"""

from django.dispatch import Signal

# A booking found its slot BOOKED (slot locked, `slot`, `actor`): a receiver may free it
# if what holds it has lapsed (an unpaid payment hold past its time). The booking then
# re-checks the slot's status.
slot_taken = Signal()

# A consultation was booked (`consultation`, `fee`: the doctor's fee read under the
# slot's lock, `actor`): paid bookings open their payment here.
consultation_booked = Signal()

# A consultation was cancelled by a participant or an admin (`consultation`, `actor`):
# a paid one is refunded.
consultation_cancelled = Signal()
