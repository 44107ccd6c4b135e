"""schemathesis against the API's own OpenAPI document, in-process through the WSGI app, as a
manager, a coordinator and a trainee token: no 500, every response as documented (status,
headers, content type and body), valid requests accepted and invalid ones refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from sesac_ms.api import tokens
from sesac_ms.extensions import db
from sesac_ms.models import Role

EXAMPLES = 6  # per operation, generation mode and role (the suite has 15 minutes)
OWNER_SECRET: dict[str, str] = {}  # the token of the role under test


@schemathesis.auth(refresh_interval=None)
class TokenOfTheRoleUnderTest:
    """The bearer token, applied by schemathesis itself: its checks of missing and invalid
    authentication (401 expected) and its negative cases then know what it added."""

    def get(self, case, context) -> str:
        return OWNER_SECRET["secret"]

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def records(app, make_open_cohort, make_application):
    cohort = make_open_cohort(capacity=3)
    for _ in range(4):
        make_application(cohort)
    return cohort


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR, Role.TRAINEE])
def test_the_api_keeps_to_its_openapi_document(app, records, make_user, role):
    owner = make_user(role)
    secret = tokens.create_token(owner, "fuzz", days=30, can_write=True).secret
    db.session.commit()
    OWNER_SECRET["secret"] = secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # A request the document allows may still break a rule the document cannot state (a
    # time in the past, a stage the cohort does not use): that is a 422 with the rule's
    # message, documented on the operation, not valid data refused.
    accepted = schema.config.checks.positive_data_acceptance
    accepted.expected_statuses = [*accepted.expected_statuses, "422"]
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                case.call_and_validate()

            try:
                check()
            except Exception as error:  # noqa: BLE001 - collected, reported together
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({mode.value}):"
                    f" {str(error)[:1500]}"
                )
    assert not failures, "\n\n".join(failures)
