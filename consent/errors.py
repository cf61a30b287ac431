"""Errors of consent records (stable codes)."""

from amrutam.common.exceptions import Conflict


class ConsentWithdrawn(Conflict):
    code = "consent_withdrawn"
    message = "The patient has withdrawn consent to teleconsultation; grant it again to book."
