"""Applicants not selected are destroyed once their retention has passed, and it is logged."""

from datetime import timedelta

from sesac_ms.applications.services import purge_expired, today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import Application, ApplicationScore, AuditEntry, DataRequest, Stage
from sesac_ms.models.privacy import RequestKind


def test_unselected_applications_are_destroyed_after_the_retention_and_logged(
    app, runner, make_cohort, make_application, make_user
):
    today = today_in_seoul()
    old = make_cohort(
        recruit_start_on=today - timedelta(days=500),
        recruit_end_on=today - timedelta(days=450),
        start_on=today - timedelta(days=400),
        end_on=today - timedelta(days=250),
    )
    recent = make_cohort(
        recruit_start_on=today - timedelta(days=100),
        recruit_end_on=today - timedelta(days=60),
        start_on=today - timedelta(days=50),
        end_on=today + timedelta(days=50),
    )
    rejected = make_application(old, stage=Stage.REJECTED, decision_reason="정원 초과")
    withdrawn = make_application(old, stage=Stage.WITHDRAWN)
    accepted = make_application(old, stage=Stage.ACCEPTED)
    recent_rejected = make_application(recent, stage=Stage.REJECTED)
    evaluator = make_user()
    db.session.add(
        ApplicationScore(
            application_id=rejected.id,
            stage=Stage.SCREENING,
            evaluator_id=evaluator.id,
            evaluator_label="평가자",
            score=40,
        )
    )
    # A request about their data goes with the data; another applicant's stays.
    for application in (rejected, recent_rejected):
        db.session.add(
            DataRequest(
                kind=RequestKind.CORRECTION,
                campus_id=old.course.campus_id,
                application_id=application.id,
                text="전화번호 정정",
                due_on=today + timedelta(days=10),
            )
        )
    db.session.commit()
    gone = {rejected.id, withdrawn.id}

    result = runner.invoke(args=["applications", "purge-expired"])

    assert result.exit_code == 0 and "2 application(s) destroyed" in result.output
    left = set(db.session.scalars(db.select(Application.id)))
    assert left == {accepted.id, recent_rejected.id}
    assert not db.session.scalars(db.select(ApplicationScore)).all()
    requests = db.session.scalars(db.select(DataRequest.application_id)).all()
    assert requests == [recent_rejected.id]
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "applications.destroyed")
    )
    assert entry.object_id == old.id and entry.changes["destroyed"] == 2
    assert set(entry.changes["application_ids"]) == gone
    assert purge_expired() == 0  # nothing left to destroy
