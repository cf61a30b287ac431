"""Audit trail models (filled by the audit and compliance work)."""
