"""Role-based DRF permission classes, defined in amrutam.common so that apps below
accounts (audit) can use them too."""

from amrutam.common.permissions import HasRole, IsAdmin, IsDoctor, IsDoctorOrAdmin, IsPatient

__all__ = ["HasRole", "IsAdmin", "IsDoctor", "IsDoctorOrAdmin", "IsPatient"]
