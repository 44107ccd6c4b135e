"""Cohort labels in the logs follow the reader's language while the cohort exists."""

from __future__ import annotations

import re

from sesac_ms import audit
from sesac_ms.extensions import db
from sesac_ms.models import Cohort, Role, User


def test_an_english_reader_sees_cohort_labels_in_english(client, login_as, make_cohort):
    admin = login_as(Role.ADMIN, locale="en")
    cohorts = [make_cohort() for _ in range(3)]
    for cohort in cohorts:
        audit.record(admin, "cohort.updated", cohort, {"capacity": [30, 25]}, label=cohort.label())
    db.session.commit()

    page = client.get("/admin/audit").get_data(as_text=True)

    for cohort in cohorts:
        assert cohort.label("en") in page
        assert cohort.label("ko") not in page
    assert not re.search(r"\d+기", page)


def test_the_labels_cost_one_query_whatever_the_number_of_entries(
    client, login_as, make_cohort, count_queries
):
    admin_id = login_as(Role.ADMIN, locale="en").id
    cohort_ids = [make_cohort().id for _ in range(8)]

    def audit_page_queries(ids: list[int]) -> int:
        admin = db.session.get(User, admin_id)
        for cohort_id in ids:
            audit.record(admin, "cohort.updated", db.session.get(Cohort, cohort_id), {})
        db.session.commit()
        db.session.expunge_all()  # nothing loaded by the test may spare the page a query
        with count_queries() as statements:
            page = client.get("/admin/audit").get_data(as_text=True)
        assert "#" in page  # the English labels were rendered
        return statements()

    assert audit_page_queries(cohort_ids[:2]) == audit_page_queries(cohort_ids[2:])


def test_a_deleted_cohort_keeps_its_stored_label(client, login_as, make_cohort):
    admin = login_as(Role.ADMIN, locale="en")
    cohort = make_cohort()
    audit.record(
        admin, "cohort.updated", cohort, {"capacity": [30, 25]}, label="(구로9기/AI핵심) 옛 과정"
    )
    db.session.commit()
    db.session.delete(cohort)
    db.session.commit()

    assert "(구로9기/AI핵심) 옛 과정" in client.get("/admin/audit").get_data(as_text=True)


def test_a_cohort_label_inside_another_records_label_follows_the_reader_too(
    client, login_as, make_cohort
):
    admin = login_as(Role.ADMIN, locale="en")
    cohort = make_cohort()
    audit.record(
        admin,
        "class_day.added",
        cohort.course,
        {},
        label=f"{cohort.label()} 2026-12-01",
        campus_id=cohort.course.campus_id,
    )
    db.session.commit()

    page = client.get("/admin/audit").get_data(as_text=True)

    assert f"{cohort.label('en')} 2026-12-01" in page
    assert cohort.label("ko") not in page
