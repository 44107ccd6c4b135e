"""The one shared schema, one module per aggregate."""

from .applications import (
    Application,
    ApplicationScore,
    Education,
    EmploymentStatus,
    InterviewSlot,
    Stage,
    UploadedFile,
)
from .audit import AuditEntry, PersonalDataAccess
from .campus import Campus, Cohort, CohortStaff, CohortStatus, Course, StaffRole, Track
from .mail import OutboxMessage
from .people import PasswordToken, Role, User
from .sessions import (
    AvailabilitySlot,
    CoachingSession,
    FollowUp,
    SessionKind,
    SessionStatus,
)
from .roster import (
    Attendance,
    AttendanceStatus,
    ClassDay,
    CohortEvent,
    DepositStatus,
    DropReason,
    Enrollment,
    EnrollmentStatus,
    EventKind,
)

__all__ = [
    "AvailabilitySlot",
    "CoachingSession",
    "FollowUp",
    "SessionKind",
    "SessionStatus",
    "Attendance",
    "AttendanceStatus",
    "ClassDay",
    "CohortEvent",
    "DepositStatus",
    "DropReason",
    "EventKind",
    "Application",
    "ApplicationScore",
    "Education",
    "EmploymentStatus",
    "Enrollment",
    "EnrollmentStatus",
    "InterviewSlot",
    "Stage",
    "UploadedFile",
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
