"""The one shared schema, one module per aggregate."""

from .audit import AuditEntry, PersonalDataAccess
from .campus import Campus, Cohort, CohortStaff, CohortStatus, Course, StaffRole, Track
from .mail import OutboxMessage
from .people import PasswordToken, Role, User

__all__ = [
    "AuditEntry",
    "Campus",
    "Cohort",
    "CohortStaff",
    "CohortStatus",
    "Course",
    "OutboxMessage",
    "PasswordToken",
    "PersonalDataAccess",
    "Role",
    "StaffRole",
    "Track",
    "User",
]
