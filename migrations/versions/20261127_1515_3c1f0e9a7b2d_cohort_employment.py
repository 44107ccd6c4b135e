"""Report figures kept up to date with the records: per cohort (employment, retention;
reports.tallies) and per exam and campus (certifications; reports.exam_tallies); referrals
indexed by their latest change (the list's order).

Filled here from the records already stored, with the same counts those modules keep.

Revision ID: 3c1f0e9a7b2d
Revises: 8e5a3895fef9
Create Date: 2026-11-27 15:15:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3c1f0e9a7b2d"
down_revision = "8e5a3895fef9"
branch_labels = None
depends_on = None

WINDOWS = (30, 90, 180, 365)
KINDS = ("excluded", "employed", "founded")


def _columns():
    names = ["completed", *KINDS]
    names += [f"{kind}_{days}d" for days in WINDOWS for kind in KINDS]
    names += ["checked_6m", "retained_6m", "checked_12m", "retained_12m"]
    return names


def upgrade():
    op.create_table(
        "cohort_employment",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in _columns()),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_employment_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_cohort_employment")),
    )
    op.create_table(
        "exam_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("candidates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("passed", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campus_id"],
            ["campuses.id"],
            name=op.f("fk_exam_results_campus_id_campuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"],
            ["exams.id"],
            name=op.f("fk_exam_results_exam_id_exams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_results")),
    )
    with op.batch_alter_table("exam_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exam_results_campus_id"), ["campus_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exam_results_exam_id"), ["exam_id"], unique=False)
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_updated_at"), ["updated_at"], unique=False)
    _fill()
    op.execute(
        """
        INSERT INTO exam_results (exam_id, campus_id, candidates, passed)
        SELECT p.exam_id, u.campus_id, count(*), coalesce(sum(p.passed), 0)
        FROM (
          SELECT exam_id, user_id, max(case when passed then 1 else 0 end) AS passed
          FROM certification_attempts GROUP BY exam_id, user_id
        ) p JOIN users u ON u.id = p.user_id
        GROUP BY p.exam_id, u.campus_id
        """
    )


def _fill():
    sqlite = op.get_bind().dialect.name == "sqlite"

    def by_day(days):
        return f"date(c.end_on, '+{days} days')" if sqlite else f"c.end_on + {days}"

    def count(condition):
        return f"coalesce(sum(case when {condition} then 1 else 0 end), 0)"

    figures = ["count(e.id)"]
    figures += [count(f"o.kind = '{kind}'") for kind in KINDS]
    figures += [
        count(f"o.kind = '{kind}' and o.outcome_on <= {by_day(days)}")
        for days in WINDOWS
        for kind in KINDS
    ]
    names = _columns()[: len(figures)]
    op.execute(
        f"""
        INSERT INTO cohort_employment (cohort_id, {", ".join(names)})
        SELECT e.cohort_id, {", ".join(figures)}
        FROM enrollments e
        JOIN cohorts c ON c.id = e.cohort_id
        LEFT JOIN outcomes o ON o.enrollment_id = e.id AND o.is_current
        WHERE e.status IN ('completed', 'early_employed')
        GROUP BY e.cohort_id
        """
    )
    for months in (6, 12):
        retained = count("r.result = 'still_employed'")
        op.execute(
            f"""
            INSERT INTO cohort_employment (cohort_id) SELECT DISTINCT e.cohort_id
            FROM retention_checks r JOIN outcomes o ON o.id = r.outcome_id
            JOIN enrollments e ON e.id = o.enrollment_id
            WHERE e.cohort_id NOT IN (SELECT cohort_id FROM cohort_employment)
            """
        )
        op.execute(
            f"""
            UPDATE cohort_employment SET
              checked_{months}m = (
                SELECT count(r.id) FROM retention_checks r
                JOIN outcomes o ON o.id = r.outcome_id JOIN enrollments e ON e.id = o.enrollment_id
                WHERE e.cohort_id = cohort_employment.cohort_id AND r.months = {months}),
              retained_{months}m = (
                SELECT {retained} FROM retention_checks r
                JOIN outcomes o ON o.id = r.outcome_id JOIN enrollments e ON e.id = o.enrollment_id
                WHERE e.cohort_id = cohort_employment.cohort_id AND r.months = {months})
            """
        )


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_updated_at"))
    with op.batch_alter_table("exam_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exam_results_exam_id"))
        batch_op.drop_index(batch_op.f("ix_exam_results_campus_id"))
    op.drop_table("exam_results")
    op.drop_table("cohort_employment")
