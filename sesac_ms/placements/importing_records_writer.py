"""Writing a checked trainee-records file: the campuses, courses, cohorts and accounts
its rows need, their enrollments and outcomes, each with its audit entry.

importing_records.py reads and checks the file; import_records runs that check again and
writes only when no row is wrong. Flushes, never commits.
"""

from __future__ import annotations

from .. import audit
from ..applications.importing import ImportRefused
from ..applications.services import today_in_seoul
from ..auth.services import create_user
from ..errors import DomainError
from ..extensions import db
from ..imports.reader import RowError
from ..models import Campus, Cohort, CohortStatus, Course, Enrollment, Role, Track, User
from . import services
from .importing_common import RECORDS, UNCHANGED, ImportResult, Preview
from .importing_records import RecordRow, _enrollment_values, preview_records
from .services import COMPLETED

# --- trainee records: writing ---------------------------------------------------------------


class _RecordWriter:
    """Writes checked rows: the campus, course, cohort and account each row needs, once."""

    def __init__(self, actor: User | None, preview: Preview, result: ImportResult) -> None:
        self.actor = actor
        self.preview = preview
        self.result = result
        self.today = today_in_seoul()
        self.campuses: dict[tuple, Campus] = {}
        self.courses: dict[tuple, Course] = {}
        self.cohorts: dict[tuple, Cohort] = {}
        self.people: dict[str, User] = {}

    def campus(self, row: RecordRow) -> Campus:
        if row.campus_obj is not None:
            return row.campus_obj
        if row.campus_key not in self.campuses:
            campus = Campus(name_ko=row.campus, name_en=row.campus, district="")
            db.session.add(campus)
            db.session.flush()
            audit.record(
                self.actor,
                "campus.created",
                campus,
                {
                    "name_ko": [None, campus.name_ko],
                    "name_en": [None, campus.name_en],
                    "source": "import",
                },
                label=campus.name_ko,
                campus_id=campus.id,
            )
            self.campuses[row.campus_key] = campus
            self.result.campuses += 1
        return self.campuses[row.campus_key]

    def course(self, row: RecordRow) -> Course:
        if row.course_obj is not None:
            return row.course_obj
        key = (row.campus_key, row.course)
        if key not in self.courses:
            campus = self.campus(row)
            course = Course(campus_id=campus.id, title=row.course, track=Track.AI_CORE_SW)
            db.session.add(course)
            db.session.flush()
            audit.record(
                self.actor,
                "course.created",
                course,
                {
                    "title": [None, course.title],
                    "track": [None, course.track],
                    "campus_id": [None, campus.id],
                    "source": "import",
                },
                label=course.title,
                campus_id=campus.id,
            )
            self.courses[key] = course
            self.result.courses += 1
        return self.courses[key]

    def cohort(self, row: RecordRow) -> Cohort:
        if row.cohort_obj is not None:
            return row.cohort_obj
        if row.cohort_key not in self.cohorts:
            course = self.course(row)
            new = self.preview.new_cohorts[row.cohort_key]
            # Made from history: its recruiting window is its first day (the constraints
            # want one), its status follows its dates.
            values = {
                "number": new.number,
                "recruit_start_on": new.start_on,
                "recruit_end_on": new.start_on,
                "start_on": new.start_on,
                "end_on": new.end_on,
                "capacity": new.capacity,
                "status": CohortStatus.FINISHED
                if new.end_on < self.today
                else CohortStatus.IN_PROGRESS,
            }
            cohort = Cohort(course_id=course.id, **values)
            db.session.add(cohort)
            db.session.flush()
            audit.record(
                self.actor,
                "cohort.created",
                cohort,
                {**{k: [None, v] for k, v in values.items()}, "source": "import"},
                label=cohort.label(),
                campus_id=course.campus_id,
            )
            self.cohorts[row.cohort_key] = cohort
            self.result.cohorts += 1
        return self.cohorts[row.cohort_key]

    def person(self, row: RecordRow, campus: Campus) -> User:
        if row.user is not None:
            return row.user
        if row.email not in self.people:
            # No password and no mail: the person sets one through "forgot password", or
            # staff send a link, when they need to log in.
            self.people[row.email] = create_user(
                self.actor,
                email=row.email,
                name=row.name,
                role=Role.TRAINEE,
                campus=campus,
                password=None,
                send_link=False,
            )
            self.result.accounts += 1
        return self.people[row.email]

    def write(self, row: RecordRow) -> None:
        if row.change == UNCHANGED:
            self.result.unchanged += 1
            return
        cohort = self.cohort(row)
        person = self.person(row, self.campus(row))
        label = f"{person.name} <{person.email}>"
        enrollment = row.enrollment
        values = _enrollment_values(enrollment, row)
        changed = False
        if enrollment is None:
            enrollment = Enrollment(cohort_id=cohort.id, user_id=person.id, **values)
            db.session.add(enrollment)
            db.session.flush()
            audit.record(
                self.actor,
                "roster.enrolled",
                enrollment,
                {
                    "user": [None, person.email],
                    **{k: [None, v] for k, v in values.items()},
                    "source": "import",
                },
                label=label,
                campus_id=cohort.campus_id,
            )
        else:
            changes = audit.apply_changes(enrollment, values)
            if changes:
                changed = True
                audit.record(
                    self.actor,
                    "roster.status_changed",
                    enrollment,
                    {**changes, "source": "import"},
                    label=label,
                    campus_id=cohort.campus_id,
                )
        if row.outcome is not None and enrollment.status in COMPLETED:
            recorded = services.record_outcome(self.actor, enrollment, row.outcome, source="import")
            changed = changed or recorded is not None
        if row.enrollment is None:
            self.result.created += 1
        elif changed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1


def import_records(actor: User | None, filename: str, content: bytes) -> ImportResult:
    """Import a trainee-records file, all or nothing.

    `actor` None is the system (the CLI). Raises reader.UnreadableFile, or ImportRefused
    carrying every error by row and column; then nothing is written that the caller's
    rollback would not undo. Flushes, never commits.
    """
    preview = preview_records(filename, content, actor=actor)
    if preview.errors:
        raise ImportRefused(preview.errors)
    result = ImportResult(RECORDS)
    writer = _RecordWriter(actor, preview, result)
    errors: list[RowError] = []
    for row in preview.rows:
        try:
            writer.write(row)
        except DomainError as error:  # a rule the preview did not foresee
            errors.append(RowError(row.number, "", error.message))
    if errors:
        raise ImportRefused(errors)
    return result
