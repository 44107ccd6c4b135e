"""Health data encrypted at rest (제7조): an illness exclusion's reason, its separate consent
and its evidence are stored as Fernet tokens under the configured keys, read back plain by
the app, shown only to the roles that may see health data, kept out of the audit log, and
re-encrypted under a new key by `flask crypto rotate`.

Every reason is encrypted, not only illness, and every exclusion carries a sealed consent
record, so that nothing stored in the clear tells an illness from another reason.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from sesac_ms import create_app, crypto
from sesac_ms.applications.services import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    ExclusionReason,
    Outcome,
    OutcomeKind,
    RetentionCheck,
    Role,
    TotpCredential,
)
from sesac_ms.placements import services
from sesac_ms.placements.services import OutcomeData
from tests.conftest import TEST_DATABASE_URL, base_config, login, postgres_database

ENDED = today_in_seoul() - timedelta(days=60)
DETAIL = "진단서: 허리 디스크 수술, 3개월 요양"
SECRET = "JBSWY3DPEHPK3PXP"
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


# --- helpers and fixtures ----------------------------------------------------------------


def raw_outcome(outcome_id: int) -> dict:
    """The stored row as the database holds it: plain SQL, no model type in between."""
    row = db.session.execute(
        sa.text(
            "SELECT kind, exclusion_reason, health_consent_at, evidence FROM outcomes "
            "WHERE id = :id"
        ),
        {"id": outcome_id},
    ).one()
    return dict(row._mapping)


def read_back(outcome_id: int) -> Outcome:
    db.session.expire_all()
    return db.session.get(Outcome, outcome_id)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def completed(make_cohort, make_course, make_user) -> Enrollment:
    cohort = make_cohort(
        course=make_course(),
        status=CohortStatus.FINISHED,
        recruit_start_on=ENDED - timedelta(days=150),
        recruit_end_on=ENDED - timedelta(days=130),
        start_on=ENDED - timedelta(days=120),
        end_on=ENDED,
    )
    trainee = make_user(Role.TRAINEE, campus=cohort.course.campus, name="박수료")
    enrollment = Enrollment(
        cohort_id=cohort.id,
        user_id=trainee.id,
        status=EnrollmentStatus.COMPLETED,
        status_on=ENDED,
    )
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


def excluded(enrollment: Enrollment, reason: ExclusionReason, evidence: str = "") -> Outcome:
    outcome = services.record_outcome(
        None,
        enrollment,
        OutcomeData(
            OutcomeKind.EXCLUDED,
            ENDED + timedelta(days=10),
            exclusion_reason=reason,
            health_consent=reason == ExclusionReason.ILLNESS,
            health_consent_at=datetime(2025, 9, 5, 3, 0, tzinfo=UTC)
            if reason == ExclusionReason.ILLNESS
            else None,
            evidence=evidence,
        ),
    )
    db.session.commit()
    return outcome


ILLNESS_FORM = {
    "kind": "excluded",
    "outcome_on": (ENDED + timedelta(days=10)).isoformat(),
    "exclusion_reason": "illness",
    "health_consent": "y",
    "evidence": DETAIL,
    "employment_type": "",
    "insured": "",
    "verification": "",
    "verification_state": "unverified",
}


# --- at rest -----------------------------------------------------------------------------


def test_an_illness_exclusion_is_stored_encrypted_and_read_back_plain(client, login_as, completed):
    login_as(Role.COORDINATOR, locale="en")
    response = client.post(f"/placements/{completed.id}/outcome", data=ILLNESS_FORM)
    assert response.status_code == 302
    outcome_id = db.session.scalar(sa.select(Outcome.id))

    stored = raw_outcome(outcome_id)
    assert stored["kind"] == "excluded"  # what the reports count: not health data
    for column in ("exclusion_reason", "health_consent_at", "evidence"):
        value = stored[column]
        assert value.startswith("gAAAAA"), column  # a Fernet token
    written = " ".join(str(v) for v in stored.values())
    consent_day = read_back(outcome_id).health_consent_at.date().isoformat()
    for plain in ("illness", "Illness", "질병", DETAIL, "허리", consent_day):
        assert plain not in written

    outcome = read_back(outcome_id)
    assert outcome.exclusion_reason == ExclusionReason.ILLNESS
    assert outcome.evidence == DETAIL
    assert outcome.health_consent_at is not None
    assert outcome.health_consent_at.tzinfo is not None


def test_nothing_stored_in_the_clear_tells_an_illness_from_another_reason(
    app, completed, make_user
):
    ill = excluded(completed, ExclusionReason.ILLNESS)
    other = Enrollment(
        cohort_id=completed.cohort_id,
        user_id=make_user(Role.TRAINEE, name="김입대").id,
        status=EnrollmentStatus.COMPLETED,
        status_on=ENDED,
    )
    db.session.add(other)
    db.session.commit()
    military = excluded(other, ExclusionReason.MILITARY)

    ill_row, military_row = raw_outcome(ill.id), raw_outcome(military.id)
    # Both reasons and both consent records (given, and not needed) are tokens of one length.
    for column in ("exclusion_reason", "health_consent_at"):
        assert ill_row[column].startswith("gAAAAA") and military_row[column].startswith("gAAAAA")
        assert len(ill_row[column]) == len(military_row[column]), column
    assert read_back(military.id).health_consent_at is None
    assert read_back(ill.id).health_consent_at == datetime(2025, 9, 5, 3, 0, tzinfo=UTC)
    # Every reason encrypts to the same length.
    reason_type = Outcome.__table__.c.exclusion_reason.type
    assert len({len(reason_type.seal(reason)) for reason in ExclusionReason}) == 1


def test_sql_cannot_compare_an_encrypted_column(app):
    """A comparison would match nothing, silently: it is refused instead."""
    with pytest.raises(TypeError, match="stored encrypted"):
        Outcome.exclusion_reason == ExclusionReason.ILLNESS  # noqa: B015
    with pytest.raises(TypeError, match="stored encrypted"):
        Outcome.health_consent_at.is_not(None)  # sealed on every row: NULL says nothing
    with pytest.raises(TypeError, match="stored encrypted"):
        Outcome.evidence.like("%진단서%")
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Outcome.exclusion_reason.is_(None))) == 0
    )


def test_an_illness_is_never_written_without_its_consent(app, completed):
    """The database cannot read the reason any more: the model holds the rule."""
    db.session.add(
        Outcome(
            enrollment_id=completed.id,
            kind=OutcomeKind.EXCLUDED,
            outcome_on=ENDED,
            exclusion_reason=ExclusionReason.ILLNESS,
        )
    )
    with pytest.raises(ValueError, match="consent"):
        db.session.flush()
    db.session.rollback()


# --- who reads it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "shown"),
    [
        (Role.ADMIN, 200, True),
        (Role.COORDINATOR, 200, True),
        (Role.MANAGER, 200, False),
        (Role.MENTOR, 403, False),
        (Role.TRAINEE, 403, False),
    ],
)
def test_only_roles_that_may_see_health_data_read_the_reason(
    app, client, make_user, completed, role, status, shown
):
    excluded(completed, ExclusionReason.ILLNESS, evidence=DETAIL)
    user = make_user(role, locale="en", **({"campus": None} if role == Role.ADMIN else {}))
    assert login(client, user.email).status_code == 302

    response = client.get(f"/placements/{completed.id}")

    assert response.status_code == status
    page = text(response)
    assert ("Excluded from the employment target · Illness" in page) == shown
    if status == 200 and not shown:
        assert "Excluded from the employment target · sensitive" in page
        assert "Illness" not in page
    assert DETAIL not in page  # the evidence is kept, never shown back


def test_the_audit_log_keeps_no_reason_of_an_exclusion(app, client, make_user, completed):
    excluded(completed, ExclusionReason.ILLNESS, evidence=DETAIL)
    services.record_outcome(
        None, completed, OutcomeData(OutcomeKind.EMPLOYED, ENDED + timedelta(days=20), "한빛")
    )
    db.session.commit()
    first, second = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "outcome.recorded").order_by(AuditEntry.id)
    )
    assert first.changes["exclusion_reason"] == [None, "(sensitive)"]
    assert second.changes["exclusion_reason"] == ["(sensitive)", None]
    stored = " ".join(
        db.session.execute(sa.text("SELECT CAST(changes AS TEXT) FROM audit_entries")).scalars()
    )
    assert "illness" not in stored and "허리" not in stored

    admin = make_user(Role.ADMIN, campus=None, locale="en")
    assert login(client, admin.email).status_code == 302
    page = text(client.get("/admin/audit"))
    assert "health data, not shown" in page
    assert "Illness" not in page and DETAIL not in page


# --- key rotation ------------------------------------------------------------------------


def test_rotating_the_key_re_encrypts_every_value(app, runner, completed, make_user):
    app.config["DATA_ENCRYPTION_KEYS"] = KEY_A
    outcome = excluded(completed, ExclusionReason.ILLNESS, evidence=DETAIL)
    user = make_user(Role.MANAGER)
    db.session.add(TotpCredential(user_id=user.id, secret_encrypted=crypto.encrypt(SECRET)))
    db.session.commit()
    under_a = raw_outcome(outcome.id)

    app.config["DATA_ENCRYPTION_KEYS"] = f"{KEY_B},{KEY_A}"
    result = runner.invoke(args=["crypto", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "outcomes.exclusion_reason: 1 re-encrypted, 0 already under the first key" in (
        result.stdout
    )
    assert "totp_credentials.secret_encrypted: 1 re-encrypted" in result.stdout
    # reason, consent and evidence of the outcome, and the second-factor secret
    assert "4 value(s) re-encrypted, 0 already under the first key, 0 unreadable" in (result.stdout)
    assert raw_outcome(outcome.id) != under_a

    # Run again: nothing left to do.
    again = runner.invoke(args=["crypto", "rotate"])
    assert again.exit_code == 0, again.output
    assert "0 value(s) re-encrypted, 4 already under the first key" in again.stdout

    # The old key removed: everything is still read.
    app.config["DATA_ENCRYPTION_KEYS"] = KEY_B
    stored = read_back(outcome.id)
    assert stored.exclusion_reason == ExclusionReason.ILLNESS
    assert stored.evidence == DETAIL
    assert stored.health_consent_at == datetime(2025, 9, 5, 3, 0, tzinfo=UTC)
    token = db.session.scalar(sa.select(TotpCredential.secret_encrypted))
    assert crypto.decrypt(token) == SECRET


def test_rotating_without_the_key_that_wrote_a_value_leaves_it_and_says_so(app, runner, completed):
    app.config["DATA_ENCRYPTION_KEYS"] = KEY_A
    outcome_id = excluded(completed, ExclusionReason.MILITARY).id
    before = raw_outcome(outcome_id)

    app.config["DATA_ENCRYPTION_KEYS"] = KEY_C  # the old key dropped too early
    result = runner.invoke(args=["crypto", "rotate"])

    assert result.exit_code == 1
    assert f"no configured key decrypts outcomes.exclusion_reason (id {outcome_id})" in (
        result.stderr
    )
    assert "put back the key that wrote them" in result.stderr
    assert raw_outcome(outcome_id) == before
    app.config["DATA_ENCRYPTION_KEYS"] = f"{KEY_C},{KEY_A}"  # put back: all rotated
    assert runner.invoke(args=["crypto", "rotate"]).exit_code == 0
    assert read_back(outcome_id).exclusion_reason == ExclusionReason.MILITARY


# --- the migration -----------------------------------------------------------------------


def _migrate_both_ways(url: str, tmp_path) -> None:
    from sesac_ms.demo import load_demo_data

    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        upgrade()
        load_demo_data()
        outcome = db.session.scalars(
            sa.select(Outcome).where(Outcome.kind == OutcomeKind.EXCLUDED).order_by(Outcome.id)
        ).first()
        outcome.exclusion_reason = ExclusionReason.ILLNESS
        outcome.health_consent_at = datetime(2025, 9, 5, 3, 0, tzinfo=UTC)
        outcome.evidence = DETAIL
        db.session.add(
            RetentionCheck(
                outcome_id=outcome.id, months=6, checked_on=date(2026, 3, 1), result="moved"
            )
        )
        db.session.commit()
        outcome_id = outcome.id
        checks = db.session.scalar(sa.text("SELECT count(*) FROM retention_checks"))
        read = {o.id: (o.exclusion_reason, o.health_consent_at, o.evidence) for o in
                db.session.scalars(sa.select(Outcome))}  # fmt: skip
        db.session.remove()

        downgrade(revision="d4f7b1c3e5a6")  # before this revision: plain values
        plain = db.session.execute(
            sa.text(
                "SELECT exclusion_reason, health_consent_at, evidence FROM outcomes WHERE id = :id"
            ),
            {"id": outcome_id},
        ).one()
        assert plain[0] == "illness" and plain[2] == DETAIL
        assert str(plain[1]).startswith("2025-09-05 03:00:00")
        db.session.remove()

        upgrade()
        stored = raw_outcome(outcome_id)
        assert DETAIL not in str(stored) and "illness" not in str(stored)
        assert stored["exclusion_reason"].startswith("gAAAAA")
        assert db.session.scalar(sa.text("SELECT count(*) FROM retention_checks")) == checks
        assert {
            o.id: (o.exclusion_reason, o.health_consent_at, o.evidence)
            for o in db.session.scalars(sa.select(Outcome))
        } == read
        db.session.remove()
        db.engine.dispose()


def test_the_migration_encrypts_existing_rows_and_downgrade_decrypts_on_sqlite(tmp_path):
    _migrate_both_ways(f"sqlite:///{tmp_path / 'health.sqlite3'}", tmp_path)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_the_migration_encrypts_existing_rows_and_downgrade_decrypts_on_postgresql(tmp_path):
    with postgres_database(TEST_DATABASE_URL) as url:
        _migrate_both_ways(url, tmp_path)


def test_every_encrypted_column_is_rotated():
    from sesac_ms.crypto_rotation import encrypted_columns

    assert encrypted_columns() == [
        ("outcomes", "evidence"),
        ("outcomes", "exclusion_reason"),
        ("outcomes", "health_consent_at"),
        ("totp_credentials", "secret_encrypted"),
        ("webhook_subscriptions", "secret_encrypted"),
    ]


def test_tokens_are_fernet_under_the_first_key(app):
    app.config["DATA_ENCRYPTION_KEYS"] = f"{KEY_A},{KEY_B}"
    token = Outcome.__table__.c.evidence.type.seal(DETAIL)
    assert Fernet(KEY_A.encode()).decrypt(token.encode()).decode() == DETAIL
    assert re.fullmatch(r"gAAAAA[\w-]+=*", token)
