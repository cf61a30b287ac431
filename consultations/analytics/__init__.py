"""Clinic analytics for administrators: consultations booked in a window.

Next to the model it counts, so a status added to or renamed in `ConsultationStatus`
is counted (or fails to import) here rather than silently counting zero.
"""
