"""Domain errors of the doctors app, each with a stable code on the wire."""

from amrutam.common.exceptions import Conflict


class SlotOverlap(Conflict):
    code = "slot_overlap"
    message = "A slot overlaps another slot of this doctor."
