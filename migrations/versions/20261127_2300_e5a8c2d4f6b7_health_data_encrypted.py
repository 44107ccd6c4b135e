"""Health data encrypted at rest (제7조): an outcome's exclusion reason, its consent to health
data and its evidence become Fernet tokens (crypto.py, the app's DATA_ENCRYPTION_KEYS).

Every reason is encrypted, not only illness, and every exclusion gets a sealed consent
record (given or not), so no column in the clear singles out an illness; the CHECK that
read the reason in the clear (illness needs consent) gives way to one that every
exclusion has its record. The values are written as models/types.py writes them.

On SQLite the column types and CHECKs can only change by rebuilding the table; dropping the
old one would cascade to the rows that refer to it (retention checks and reminders), so
those are kept aside and put back. Downgrade decrypts.

Revision ID: e5a8c2d4f6b7
Revises: d4f7b1c3e5a6
Create Date: 2026-11-27 23:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from sesac_ms import crypto

# revision identifiers, used by Alembic.
revision = "e5a8c2d4f6b7"
down_revision = "d4f7b1c3e5a6"
branch_labels = None
depends_on = None

REASONS = ("further_study", "military", "illness", "emigration", "other")
REASON_WIDTH = max(len(r) for r in REASONS)  # every reason encrypts to one length
CONSENT_WIDTH = len("2025-09-05T00:00:00.000000+00:00")
BATCH = 1000

COLUMNS = (
    "id", "enrollment_id", "kind", "outcome_on", "company", "job_title", "industry",
    "employment_type", "insured", "salary_band", "exclusion_reason", "health_consent_at",
    "evidence", "verification", "verification_state", "source", "is_current",
    "recorded_by_id", "created_at",
)  # fmt: skip
ILLNESS_CHECK = "exclusion_reason != 'illness' OR health_consent_at IS NOT NULL"
RECORD_CHECK = "kind != 'excluded' OR health_consent_at IS NOT NULL"


def _outcomes(*, encrypted):
    """The columns and constraints of outcomes before (encrypted=False) or after this
    revision, named as the models name them."""
    if encrypted:
        reason, consent = sa.Text(), sa.Text()
        checks = [
            sa.CheckConstraint(RECORD_CHECK, name=op.f("ck_outcomes_exclusion_has_consent_record"))
        ]
    else:
        reason = sa.Enum(*REASONS, name="exclusion_reason", native_enum=False, length=17)
        consent = sa.DateTime(timezone=True)
        checks = [
            sa.CheckConstraint(ILLNESS_CHECK, name=op.f("ck_outcomes_illness_needs_consent")),
            sa.CheckConstraint(
                "exclusion_reason IN ('further_study', 'military', 'illness', 'emigration', "
                "'other')",
                name=op.f("ck_outcomes_exclusion_reason"),
            ),
        ]
    enum = sa.String
    return (
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("kind", enum(12), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=False),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("job_title", sa.String(200), nullable=True),
        sa.Column("industry", sa.String(100), nullable=True),
        sa.Column("employment_type", enum(13), nullable=True),
        sa.Column("insured", sa.Boolean(), nullable=True),
        sa.Column("salary_band", sa.String(50), nullable=True),
        sa.Column("exclusion_reason", reason, nullable=True),
        sa.Column("health_consent_at", consent, nullable=True),
        sa.Column("evidence", sa.Text(), server_default="", nullable=False),
        sa.Column("verification", enum(26), nullable=True),
        sa.Column("verification_state", enum(14), server_default="unverified", nullable=False),
        sa.Column("source", sa.String(10), server_default="web", nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *checks,
        sa.CheckConstraint(
            "kind != 'excluded' OR exclusion_reason IS NOT NULL",
            name=op.f("ck_outcomes_excluded_has_reason"),
        ),
        sa.CheckConstraint(
            "kind IN ('employed', 'founded', 'excluded')", name=op.f("ck_outcomes_outcome_kind")
        ),
        sa.CheckConstraint(
            "employment_type IN ('permanent', 'contract', 'intern', 'freelance')",
            name=op.f("ck_outcomes_employment_type"),
        ),
        sa.CheckConstraint(
            "verification IN ('insurance_record', 'employment_certificate', "
            "'business_registration', 'other')",
            name=op.f("ck_outcomes_verification"),
        ),
        sa.CheckConstraint(
            "verification_state IN ('unverified', 'verified', 'rejected')",
            name=op.f("ck_outcomes_verification_state"),
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_outcomes_enrollment_id_enrollments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_outcomes_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )


def _rows(columns):
    """(id, *columns) of every outcome, read with the given column types, in batches."""
    table = sa.table("outcomes", sa.column("id", sa.Integer()), *columns)
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _write(values):
    if values:
        op.get_bind().execute(
            sa.text(
                "UPDATE outcomes SET exclusion_reason = :reason, "
                "health_consent_at = :consent, evidence = :evidence WHERE id = :id"
            ),
            values,
        )


def _sealed(rows):
    """Plain rows (id, reason, consent, evidence) as models/types.py stores them."""
    values = []
    for outcome_id, reason, consent, evidence in rows:
        if consent is not None:
            consent = consent if consent.tzinfo else consent.replace(tzinfo=UTC)
            consent = consent.astimezone(UTC).isoformat(timespec="microseconds")
        values.append(
            {
                "id": outcome_id,
                "reason": crypto.encrypt(reason.ljust(REASON_WIDTH)) if reason else None,
                "consent": crypto.encrypt((consent or "").ljust(CONSENT_WIDTH)),
                "evidence": crypto.encrypt(evidence) if evidence else "",
            }
        )
    return values


def _opened(rows, sqlite):
    """Encrypted rows back to plain values; '' for no consent (made NULL by the caller)."""
    values = []
    for outcome_id, reason, consent, evidence in rows:
        at = crypto.decrypt(consent).strip() if consent else ""
        if at:
            moment = datetime.fromisoformat(at).astimezone(UTC)
            # As each database stores a timestamp: SQLite as naive UTC text.
            at = (
                moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                if sqlite
                else moment.isoformat()
            )
        values.append(
            {
                "id": outcome_id,
                "reason": crypto.decrypt(reason).rstrip(" ") if reason else None,
                "consent": at,
                "evidence": crypto.decrypt(evidence) if evidence else "",
            }
        )
    return values


def _rebuild_sqlite(encrypted, consent_expr):
    """Recreate outcomes with the other schema, keeping every row, its ids and the rows of
    the tables that refer to it (which dropping the old table would delete or unlink)."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    found = {c["name"] for c in inspector.get_columns("outcomes")}
    if found != set(COLUMNS):
        raise RuntimeError(f"outcomes has columns this migration does not know: {found}")
    children = sorted(
        name
        for name in inspector.get_table_names()
        if any(fk["referred_table"] == "outcomes" for fk in inspector.get_foreign_keys(name))
    )
    for name in children:
        for other in inspector.get_table_names():
            if any(fk["referred_table"] == name for fk in inspector.get_foreign_keys(other)):
                raise RuntimeError(f"{other} refers to {name}: keep its rows too")
        op.execute(f'CREATE TEMP TABLE "kept_{name}" AS SELECT * FROM "{name}"')
    op.create_table("outcomes_rebuilt", *_outcomes(encrypted=encrypted))
    copied = [consent_expr if c == "health_consent_at" else c for c in COLUMNS]
    op.execute(
        f"INSERT INTO outcomes_rebuilt ({', '.join(COLUMNS)}) "
        f"SELECT {', '.join(copied)} FROM outcomes"
    )
    op.execute("DROP TABLE outcomes")
    op.execute("ALTER TABLE outcomes_rebuilt RENAME TO outcomes")
    for name in children:
        op.execute(f'DELETE FROM "{name}"')
        op.execute(f'INSERT INTO "{name}" SELECT * FROM temp."kept_{name}"')
        op.execute(f'DROP TABLE temp."kept_{name}"')
    op.create_index("ix_outcomes_enrollment_id", "outcomes", ["enrollment_id"])
    op.create_index("ix_outcomes_kind", "outcomes", ["kind"])
    op.create_index("ix_outcomes_outcome_on", "outcomes", ["outcome_on"])
    op.create_index(
        "uq_outcomes_current",
        "outcomes",
        ["enrollment_id"],
        unique=True,
        sqlite_where=sa.text("is_current"),
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    plain = (
        sa.column("exclusion_reason", sa.String()),
        sa.column("health_consent_at", sa.DateTime(timezone=True)),
        sa.column("evidence", sa.Text()),
    )
    sealed = [_sealed(rows) for rows in _rows(plain)]
    if sqlite:
        # Every exclusion needs its record at once: a placeholder until it is written below.
        _rebuild_sqlite(
            True,
            "CASE WHEN kind = 'excluded' AND health_consent_at IS NULL THEN '' "
            "ELSE health_consent_at END",
        )
    else:
        op.drop_constraint(op.f("ck_outcomes_illness_needs_consent"), "outcomes", type_="check")
        op.drop_constraint(op.f("ck_outcomes_exclusion_reason"), "outcomes", type_="check")
        op.alter_column(
            "outcomes",
            "exclusion_reason",
            type_=sa.Text(),
            existing_type=sa.String(17),
            postgresql_using="exclusion_reason::text",
        )
        op.alter_column(
            "outcomes",
            "health_consent_at",
            type_=sa.Text(),
            existing_type=sa.DateTime(timezone=True),
            postgresql_using="health_consent_at::text",
        )
    for values in sealed:
        _write(values)
    if not sqlite:
        op.create_check_constraint(
            op.f("ck_outcomes_exclusion_has_consent_record"), "outcomes", RECORD_CHECK
        )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    stored = (
        sa.column("exclusion_reason", sa.Text()),
        sa.column("health_consent_at", sa.Text()),
        sa.column("evidence", sa.Text()),
    )
    opened = [_opened(rows, sqlite) for rows in _rows(stored)]
    if not sqlite:
        op.drop_constraint(
            op.f("ck_outcomes_exclusion_has_consent_record"), "outcomes", type_="check"
        )
    for values in opened:
        _write(values)
    if sqlite:
        _rebuild_sqlite(False, "NULLIF(health_consent_at, '')")
        return
    op.alter_column(
        "outcomes",
        "health_consent_at",
        type_=sa.DateTime(timezone=True),
        existing_type=sa.Text(),
        postgresql_using="NULLIF(health_consent_at, '')::timestamptz",
    )
    op.alter_column(
        "outcomes",
        "exclusion_reason",
        type_=sa.String(17),
        existing_type=sa.Text(),
        postgresql_using="exclusion_reason::varchar(17)",
    )
    op.create_check_constraint(
        op.f("ck_outcomes_exclusion_reason"),
        "outcomes",
        "exclusion_reason IN ('further_study', 'military', 'illness', 'emigration', 'other')",
    )
    op.create_check_constraint(op.f("ck_outcomes_illness_needs_consent"), "outcomes", ILLNESS_CHECK)
