"""Signals accounts sends for the apps that depend on it (accounts imports none of them)."""

from django.dispatch import Signal

# A user was created with, or changed to, `user.role`, inside the transaction that saves
# it: receivers create what the role needs (doctors: an unverified DoctorProfile). A
# receiver that raises rolls the whole change back.
role_assigned = Signal()
