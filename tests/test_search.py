"""Search boxes take % and _ literally, not as SQL wildcards."""

from sesac_ms.models import Role


def test_the_applicant_search_takes_percent_and_underscore_literally(
    client, login_as, make_open_cohort, make_application
):
    cohort = make_open_cohort()
    make_application(cohort, name="김50%할인", email="percent@example.com")
    make_application(cohort, name="김50원할인", email="other@example.com")
    make_application(cohort, name="이_밑줄", email="under@example.com")
    make_application(cohort, name="이X밑줄", email="x@example.com")
    login_as(Role.MANAGER)

    percent = client.get(f"/applications/cohorts/{cohort.id}?q=50%25").get_data(as_text=True)
    assert "percent@example.com" in percent and "other@example.com" not in percent
    underscore = client.get(f"/applications/cohorts/{cohort.id}?q=이_").get_data(as_text=True)
    assert "under@example.com" in underscore and "x@example.com" not in underscore


def test_the_user_search_takes_percent_literally(client, login_as, make_user):
    make_user(Role.TRAINEE, name="박100%", email="literal@sesac.example")
    make_user(Role.TRAINEE, name="박1000", email="wild@sesac.example")
    login_as(Role.ADMIN)

    page = client.get("/admin/users?q=100%25").get_data(as_text=True)
    assert "literal@sesac.example" in page and "wild@sesac.example" not in page
