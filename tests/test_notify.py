"""Messages by KakaoTalk, text and e-mail: one service chooses the channel, the outbox
sends and retries every channel, KakaoTalk falls back to a text and then to e-mail.

The Solapi adapter runs Solapi's own SDK against a local fake Solapi (an http.server on
127.0.0.1, in a thread) that records every request and answers as Solapi's API does:
accepted, refused (the SDK raises MessageNotReceivedError), a 4xx error or a 5xx outage.
Nothing of ours is mocked. Quiet hours are checked with a fixed clock.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel.speaklater import LazyString

from sesac_ms import mail, notify
from sesac_ms.applications.services import ApplicantDetails, submit_application
from sesac_ms.auth import services as auth_services
from sesac_ms.errors import InvalidInput
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Education, EmploymentStatus, OutboxMessage, Role, User
from sesac_ms.models.mail import Channel
from sesac_ms.notify.templates import TEMPLATES, placeholders
from tests.conftest import PASSWORD
from tests.test_i18n import TRANSLATIONS, compiled_catalogs  # noqa: F401 (autouse fixture)

SEOUL = ZoneInfo("Asia/Seoul")
PHONE = "010-2345-6789"
KAKAO_TEMPLATES = {
    "attendance_at_risk": "KA01TP-RISK",
    "account_locked": "KA01TP-LOCK",
    "session_booked": "KA01TP-BOOKED",
}


# --- the fake Solapi ----------------------------------------------------------------------


def _count(total: int, failed: int) -> dict[str, int]:
    return {
        "total": total,
        "sentTotal": 0,
        "sentSuccess": 0,
        "sentPending": total - failed,
        "sentReplacement": 0,
        "refund": 0,
        "registeredFailed": failed,
        "registeredSuccess": total - failed,
    }


def _group(total: int, failed: int) -> dict[str, Any]:
    """groupInfo as Solapi's POST /messages/v4/send-many/detail returns it."""
    cash = {"requested": 0, "replacement": 0, "refund": 0, "sum": 0}
    return {
        "count": _count(total, failed),
        "countForCharge": {"sms": {"82": 1}},
        "balance": cash,
        "point": cash,
        "app": {"profit": {}, "appId": None},
        "log": [],
        "status": "SENDING",
        "allowDuplicates": False,
        "isRefunded": False,
        "accountId": "26000000000000",
        "masterAccountId": None,
        "apiVersion": "4",
        "groupId": "G4V20261127000000TEST",
        "price": {},
        "dateCreated": "2026-11-27T12:00:00.000Z",
        "dateUpdated": "2026-11-27T12:00:00.000Z",
    }


class FakeSolapi:
    """A local Solapi: records each request; `answer(message)` decides the reply:
    "ok", "refused" (registered failed), "invalid" (400) or "down" (500)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], str] = lambda message: "ok"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": payload}
                )
                message = payload["messages"][0]
                status, reply = fake.reply(fake.answer(message), message)
                body = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @staticmethod
    def reply(answer: str, message: dict[str, Any]) -> tuple[int, Any]:
        kind = "ATA" if "kakaoOptions" in message else "SMS"
        if answer == "down":
            return 500, "upstream connect error"
        if answer == "invalid":
            return 400, {"errorCode": "ValidationError", "errorMessage": "invalid recipient"}
        if answer == "refused":
            failed = {
                "to": message["to"],
                "from": message["from"],
                "type": kind,
                "statusMessage": "카카오톡 채널 수신 불가",
                "country": "82",
                "messageId": "M4V20261127000000FAIL",
                "statusCode": "3104",
                "accountId": "26000000000000",
            }
            return 200, {"failedMessageList": [failed], "groupInfo": _group(1, 1)}
        accepted = {"messageId": "M4V20261127000000OKAY", "statusCode": "2000"}
        accepted["statusMessage"] = "정상 접수(이통사로 접수 예정)"
        return 200, {"failedMessageList": [], "groupInfo": _group(1, 0), "messageList": [accepted]}

    def messages(self) -> list[dict[str, Any]]:
        return [request["json"]["messages"][0] for request in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def solapi() -> Iterator[FakeSolapi]:
    fake = FakeSolapi()
    yield fake
    fake.stop()


@pytest.fixture
def live(app: Flask, solapi: FakeSolapi) -> Flask:
    """The app with Solapi settings, its SDK pointed at the fake."""
    app.config.update(
        SOLAPI_API_KEY="NCSTESTKEY",
        SOLAPI_API_SECRET="test-secret",
        SOLAPI_SENDER="02-1234-5678",
        SOLAPI_BASE_URL=solapi.url,
        KAKAO_PFID="KA01PF-SESAC",
        KAKAO_TEMPLATES=dict(KAKAO_TEMPLATES),
    )
    return app


# --- helpers ------------------------------------------------------------------------------


def seoul(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def stored() -> list[OutboxMessage]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def queued(kind: str | None = None) -> list[OutboxMessage]:
    return [m for m in stored() if kind is None or m.kind == kind]


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(response, name: str) -> list[str]:
    block = re.search(rf'id="{name}-error"[^>]*>(.*?)</div>\s*</div>', page(response), re.S)
    return re.findall(r'invalid-feedback">([^<]*)', block.group(1)) if block else []


@pytest.fixture
def person(make_user) -> Callable[..., User]:
    """A trainee with a mobile number and a channel, in English unless told otherwise."""

    def factory(channel: str = "kakao", phone: str | None = PHONE, **values: Any) -> User:
        values.setdefault("locale", "en")
        return make_user(
            Role.TRAINEE, phone=phone, notify_channel=channel, name="Mina Kim", **values
        )

    return factory


def at_risk(user: User, now: datetime | None = None, **values: Any) -> OutboxMessage | None:
    values = {"cohort": "Guro #3", "absences_left": 2, **values}
    message = notify.send(user, "attendance_at_risk", now=now, **values)
    db.session.commit()
    return message


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "01023456789",
        "010-2345-6789",
        "010 2345 6789",
        "010.2345.6789",
        "(010) 2345-6789",
        "+82 10-2345-6789",
        "+82 (0)10 2345 6789",
        "+821023456789",
        "0082-10-2345-6789",
        "82-10-2345-6789",
        " ０１０-２３４５-６７８９ ",
    ],
)
def test_mobile_numbers_are_stored_one_way(typed):
    assert notify.normalise_phone(typed) == "010-2345-6789"


def test_old_mobile_prefixes_keep_their_shorter_numbers():
    assert notify.normalise_phone("0111234567") == "011-123-4567"
    assert notify.normalise_phone("016-1234-5678") == "016-1234-5678"


@pytest.mark.parametrize(
    "typed",
    ["02-1234-5678", "010-1234-567", "010-1234-56789", "+1 415 555 0100", "010-CALL-ME", "", "-"],
)
def test_anything_but_a_korean_mobile_number_is_refused_with_a_plain_reason(app, typed):
    with pytest.raises(InvalidInput) as refused:
        notify.normalise_phone(typed)
    assert refused.value.field == "phone"
    assert "010-1234-5678" in refused.value.message
    assert notify.phone_or_none(typed) is None


# --- templates ------------------------------------------------------------------------------

SAMPLES: dict[str, Any] = {
    "name": "Mina Kim",
    "link": "http://localhost/x",
    "hours": 72,
    "n": 5,
    "until": datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    "when": datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    "left": 9,
    "cohort": lambda locale: "구로 3기" if locale == "ko" else "Guro #3",
    "date": date(2026, 12, 1),
    "where": "Room 2",
    "applications": [(lambda locale: "Guro #3", "http://localhost/s/1")],
    "other": "Jun Park",
    "kind": "mentoring",
    "reason": "sick",
    "location": "Room 2",
    "due_on": date(2026, 12, 1),
    "text": "Fix the CV",
    "absences_left": 1,
    "trainees": [("Mina Kim", 1), ("Jun Park", 0)],
    "months": 6,
    "company": "Hanbit",
    "url": "https://partner.example/hooks",
    "failures": 10,
}


def _translated(msgids: set[str]) -> dict[str, str]:
    with (TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file)
    return {msgid: catalog[msgid].string if catalog.get(msgid) else "" for msgid in msgids}


@pytest.mark.parametrize("kind", notify.KINDS)
def test_every_message_is_complete_in_korean_and_english(app, kind):
    template = TEMPLATES[kind]
    parts = [template.subject, *template.body]
    msgids = {part._args[0] for part in parts if isinstance(part, LazyString)}
    assert len(msgids) == len([p for p in parts if not re.fullmatch(r"%\(\w+\)s", str(p))])
    missing = [msgid for msgid, korean in _translated(msgids).items() if not korean]
    assert not missing, f"no Korean for: {missing}"

    english = notify.render(kind, "en", SAMPLES)
    korean = notify.render(kind, "ko", SAMPLES)
    for message in (english, korean):
        assert message.subject and message.body
        assert "%(" not in message.subject + message.body
    assert re.search(r"[가-힣]", korean.subject + korean.body)
    assert korean.body != english.body
    assert set(korean.variables) == set(english.variables)
    kakao = notify.kakao_template_text(kind)
    assert "%(" not in kakao and "#{" in kakao


def test_a_message_is_rendered_in_its_recipients_language_with_its_values(app):
    english = notify.render("attendance_digest", "en", SAMPLES)
    assert english.subject == "[SeSAC] Trainees close to the attendance limit: Guro #3"
    assert "- Mina Kim: 1 more absence possible" in english.body
    assert "- Jun Park: 0 more absences possible" in english.body
    assert english.body.endswith("http://localhost/x")
    assert english.variables["trainees"].splitlines()[0] == "- Mina Kim: 1 more absence possible"

    without_link = notify.render("attendance_digest", "en", {**SAMPLES, "link": ""})
    assert not without_link.body.endswith("\n\n")  # the empty link's paragraph is left out
    with pytest.raises(KeyError):
        notify.render("attendance_at_risk", "en", {"name": "Mina"})  # no cohort, no count


def test_the_kakao_template_shows_where_each_value_goes(app):
    text = notify.kakao_template_text("attendance_at_risk", "en")
    assert text.startswith("Hello #{name},")
    assert "#{cohort}" in text and "#{absences_left}" in text and "80%" in text
    assert placeholders("%(a)s %(b)d %(a)s") == ["a", "b"]


# --- choosing the channel -------------------------------------------------------------------


def test_without_a_phone_everyone_gets_email_as_before(app, person):
    user = person(channel="kakao", phone=None)
    message = at_risk(user)
    assert (message.channel, message.phone, message.recipient) == (
        Channel.EMAIL,
        None,
        user.email,
    )
    assert message.subject == "[SeSAC] Your attendance in Guro #3"


@pytest.mark.parametrize(
    ("preference", "kind", "expected", "template_id"),
    [
        ("kakao", "attendance_at_risk", Channel.KAKAO, "KA01TP-RISK"),
        ("kakao", "retention_check", Channel.SMS, None),  # no KakaoTalk template: a text
        ("sms", "attendance_at_risk", Channel.SMS, None),
        ("email", "attendance_at_risk", Channel.EMAIL, None),
        ("kakao", "password_reset", Channel.EMAIL, None),  # links proving the mailbox
        ("sms", "recovery_code_used", Channel.EMAIL, None),
    ],
)
def test_the_channel_follows_the_preference_and_what_is_available(
    live, person, preference, kind, expected, template_id
):
    user = person(channel=preference, locale="ko")
    recipient = notify.recipient_of(user)
    assert notify.choose_channel(recipient, kind, live.config) == (expected, template_id)


def test_kakao_needs_a_template_in_the_recipients_language(live, person):
    english = notify.recipient_of(person(channel="kakao"))
    assert notify.choose_channel(english, "attendance_at_risk", live.config) == (Channel.SMS, None)
    live.config["KAKAO_TEMPLATES"]["attendance_at_risk:en"] = "KA01TP-RISK-EN"
    assert notify.choose_channel(english, "attendance_at_risk", live.config) == (
        Channel.KAKAO,
        "KA01TP-RISK-EN",
    )
    live.config["KAKAO_PFID"] = ""  # no KakaoTalk channel at all
    assert notify.choose_channel(english, "attendance_at_risk", live.config)[0] == Channel.SMS


def test_with_an_smtp_server_but_no_provider_phones_get_email(app, person):
    app.config["MAIL_SERVER"] = "smtp.example"
    recipient = notify.recipient_of(person(channel="kakao"))
    assert notify.choose_channel(recipient, "attendance_at_risk", app.config)[0] == Channel.EMAIL


def test_without_any_provider_phone_messages_are_logged_like_mail(app, app_log, person):
    user = person(channel="kakao")
    message = at_risk(user, now=seoul(2026, 11, 27, 10, 0))
    assert message.channel == Channel.KAKAO  # development: logged, no template needed

    result = mail.send_pending(now=seoul(2026, 11, 27, 10, 0))

    assert result.sent == 1
    assert "KakaoTalk message to" in app_log.text
    assert "Absences you can still afford" in app_log.text


def test_applicants_get_the_channel_the_campus_chose_for_them(live, make_open_cohort, solapi):
    cohort = make_open_cohort()
    live.config["NOTIFY_APPLICANT_CHANNEL"] = "sms"
    details = ApplicantDetails(
        name="Ara Lee",
        email="ara@example.com",
        phone="010 9876 5432",
        birth_date=date(2000, 3, 15),
        district="구로구",
        seoul_university=False,
        employment_status=EmploymentStatus.UNEMPLOYED,
        education=Education.UNIVERSITY,
        motivation="데이터 분석가가 되고 싶습니다.",
        portfolio_url=None,
    )
    submit_application(cohort, details, consent=True)
    db.session.commit()

    (message,) = queued("application_submitted")
    assert (message.channel, message.phone) == (Channel.SMS, "010-9876-5432")
    assert "/applications/status/" in message.body


# --- sending through the fake Solapi ------------------------------------------------------


def test_a_kakao_message_goes_out_as_a_template_with_its_values(live, solapi, person):
    user = person(channel="kakao", locale="ko")
    at_risk(user, now=seoul(2026, 11, 27, 10, 0), cohort="구로 3기", absences_left=1)

    assert mail.send_pending(now=seoul(2026, 11, 27, 10, 0)).sent == 1

    (request,) = solapi.requests
    assert request["path"] == "/messages/v4/send-many/detail"
    assert request["headers"]["Authorization"].startswith("HMAC-SHA256 ApiKey=NCSTESTKEY,")
    (sent,) = solapi.messages()
    assert (sent["to"], sent["from"]) == ("01023456789", "0212345678")
    options = sent["kakaoOptions"]
    assert (options["pfId"], options["templateId"]) == ("KA01PF-SESAC", "KA01TP-RISK")
    assert options["variables"]["#{name}"] == "Mina Kim"
    assert options["variables"]["#{cohort}"] == "구로 3기"
    assert options["variables"]["#{absences_left}"] == "1"
    assert options["disableSms"] is False  # Solapi texts those Kakao cannot reach later
    (message,) = queued()
    assert message.sent_at is not None and message.fallbacks is None


def test_a_refused_kakao_message_falls_back_to_a_text_at_once(live, solapi, person):
    solapi.answer = lambda message: "refused" if "kakaoOptions" in message else "ok"
    at_risk(person(channel="kakao", locale="ko"), now=seoul(2026, 11, 27, 10, 0))

    result = mail.send_pending(now=seoul(2026, 11, 27, 10, 0))

    assert (result.sent, result.failed) == (1, 1)
    kakao, text = solapi.messages()
    assert "kakaoOptions" in kakao and "kakaoOptions" not in text
    assert text["to"] == "01023456789" and "80%" in text["text"]
    (message,) = queued()
    assert message.sent_at is not None and message.channel == Channel.SMS
    assert [(step["from"], step["to"]) for step in message.fallbacks] == [("kakao", "sms")]
    assert "3104" in message.fallbacks[0]["error"]
    assert message.fell_back_at is not None


def test_kakao_then_text_refused_the_message_goes_by_email(
    live, solapi, person, client, login_as, app_log
):
    solapi.answer = lambda message: "refused" if "kakaoOptions" in message else "invalid"
    user = person(channel="kakao", locale="ko")
    at_risk(user, now=seoul(2026, 11, 27, 10, 0))

    result = mail.send_pending(now=seoul(2026, 11, 27, 10, 0))

    assert result.sent == 1 and len(solapi.requests) == 2
    (message,) = queued()
    assert message.channel == Channel.EMAIL and message.sent_at is not None
    assert [(s["from"], s["to"]) for s in message.fallbacks] == [("kakao", "sms"), ("sms", "email")]
    assert "ValidationError" in message.fallbacks[1]["error"]
    assert f"mail to {user.email}" in app_log.text  # no MAIL_SERVER: e-mail is logged

    login_as(Role.ADMIN, locale="en")
    shown = page(client.get("/admin/mail?state=fell_back"))
    assert user.email in shown and PHONE in shown
    assert "E-mail" in shown
    assert "after KakaoTalk failed:" in shown and "after Text message failed:" in shown
    assert "Fell back" in shown


def test_an_unreachable_provider_is_retried_through_the_outbox(live, solapi, person):
    answers = iter(["down", "ok"])
    solapi.answer = lambda message: next(answers)
    at_risk(person(channel="kakao", locale="ko"), now=seoul(2026, 11, 27, 10, 0))

    first = mail.send_pending(now=seoul(2026, 11, 27, 10, 0))

    assert (first.sent, first.failed) == (0, 1)
    (message,) = queued()
    assert message.channel == Channel.KAKAO and message.channel_attempts == 1
    assert message.next_attempt_at == seoul(2026, 11, 27, 10, 1)
    assert "UnknownError" in message.last_error
    assert mail.send_pending(now=seoul(2026, 11, 27, 10, 0, 30)).tried == 0  # not yet

    second = mail.send_pending(now=seoul(2026, 11, 27, 10, 1))

    assert second.sent == 1
    (message,) = queued()
    assert message.attempts == 2 and message.fallbacks is None


def test_a_provider_down_for_long_hands_the_message_on_to_email(live, solapi, person, app_log):
    live.config["NOTIFY_CHANNEL_TRIES"] = 2
    solapi.answer = lambda message: "down"
    at_risk(person(channel="kakao", locale="ko"), now=seoul(2026, 11, 27, 10, 0))

    now = seoul(2026, 11, 27, 10, 0)
    for _ in range(8):
        mail.send_pending(now=now)
        now += timedelta(minutes=5)

    (message,) = queued()
    assert message.sent_at is not None and message.channel == Channel.EMAIL
    assert [(s["from"], s["to"]) for s in message.fallbacks] == [("kakao", "sms"), ("sms", "email")]
    assert len(solapi.requests) == 4  # two tries by KakaoTalk, two by text


def test_a_stopped_provider_costs_no_message(live, solapi, person):
    solapi.stop()
    at_risk(person(channel="sms"), now=seoul(2026, 11, 27, 10, 0))

    result = mail.send_pending(now=seoul(2026, 11, 27, 10, 0))

    assert result.failed == 1
    (message,) = queued()
    assert message.sent_at is None and message.channel == Channel.SMS
    assert "ConnectError" in message.last_error


def test_a_request_never_sends_to_the_provider_itself(live, solapi, person, client):
    user = person(channel="kakao", locale="ko")
    for _ in range(live.config["LOGIN_MAX_FAILURES"]):
        client.post("/auth/login", data={"email": user.email, "password": "wrong password"})

    (message,) = queued("account_locked")
    assert message.channel == Channel.KAKAO and message.urgent
    assert message.template_id == "KA01TP-LOCK"
    assert solapi.requests == []  # the worker sends, not the request

    assert mail.send_pending().sent == 1
    assert solapi.messages()[0]["kakaoOptions"]["templateId"] == "KA01TP-LOCK"


# --- opt-out and quiet hours ----------------------------------------------------------------


def test_essential_only_stops_every_other_message(live, person):
    user = person(channel="sms", notify_opt_out=True)

    assert at_risk(user) is None
    auth_services.account_locked(user, seoul(2026, 11, 27, 10, 15))
    auth_services.issue_password_link(user, purpose="reset")
    db.session.commit()

    assert sorted(m.kind for m in queued()) == ["account_locked", "password_reset"]


@pytest.mark.parametrize(
    ("queued_at", "due_at"),
    [
        (seoul(2026, 11, 27, 20, 59), seoul(2026, 11, 27, 20, 59)),
        (seoul(2026, 11, 27, 21, 0), seoul(2026, 11, 28, 8, 0)),
        (seoul(2026, 11, 27, 23, 30), seoul(2026, 11, 28, 8, 0)),
        (seoul(2026, 11, 28, 0, 10), seoul(2026, 11, 28, 8, 0)),
        (seoul(2026, 11, 28, 7, 59), seoul(2026, 11, 28, 8, 0)),
        (seoul(2026, 11, 28, 8, 0), seoul(2026, 11, 28, 8, 0)),
    ],
)
def test_texts_that_are_not_urgent_wait_out_the_night(live, person, queued_at, due_at):
    message = at_risk(person(channel="sms"), now=queued_at)
    assert message.next_attempt_at == due_at


def test_a_night_message_goes_at_eight_and_urgent_ones_at_once(live, solapi, person):
    night = seoul(2026, 11, 27, 22, 30)
    trainee = person(channel="kakao", locale="ko")
    at_risk(trainee, now=night)
    notify.send(trainee, "account_locked", now=night, n=5, until=night, link="http://x/")
    email_user = person(channel="email")
    at_risk(email_user, now=night)  # e-mail rings no phone: it goes at once
    db.session.commit()

    assert mail.send_pending(now=night).sent == 2
    assert [m["kakaoOptions"]["templateId"] for m in solapi.messages()] == ["KA01TP-LOCK"]
    assert mail.send_pending(now=seoul(2026, 11, 28, 7, 59)).tried == 0

    assert mail.send_pending(now=seoul(2026, 11, 28, 8, 0)).sent == 1
    assert solapi.messages()[-1]["kakaoOptions"]["templateId"] == "KA01TP-RISK"


def test_a_retry_or_fallback_at_night_waits_too_unless_urgent(live, solapi, person):
    solapi.answer = lambda message: "refused" if "kakaoOptions" in message else "ok"
    at_risk(person(channel="kakao", locale="ko"), now=seoul(2026, 11, 27, 20, 59, 50))

    mail.send_pending(now=seoul(2026, 11, 27, 21, 0, 5))  # KakaoTalk refused after nine

    (message,) = queued()
    assert message.channel == Channel.SMS and message.sent_at is None
    assert message.next_attempt_at == seoul(2026, 11, 28, 8, 0)


def test_same_day_session_changes_are_urgent(app):
    now = seoul(2026, 11, 27, 22, 0)
    assert notify.starts_soon(seoul(2026, 11, 28, 9, 0), now)
    assert not notify.starts_soon(seoul(2026, 11, 28, 11, 0), now)
    assert notify.is_quiet(now) and not notify.is_quiet(seoul(2026, 11, 28, 8, 0))


# --- what the lead's nudges call ------------------------------------------------------------


def test_the_attendance_messages_for_trainee_and_manager(
    live, person, make_user, make_cohort, solapi
):
    cohort = make_cohort()
    trainee = person(channel="sms")
    manager = make_user(Role.MANAGER, locale="en", name="Boss Han")

    notify.send_attendance_at_risk(trainee, cohort, 0, link="http://localhost/me")
    notify.send_attendance_digest(manager, cohort, [("Mina Kim", 0), ("Jun Park", 2)])
    assert notify.send_attendance_digest(manager, cohort, []) is None
    db.session.commit()

    risk, digest = queued()
    assert risk.kind == "attendance_at_risk" and risk.channel == Channel.SMS
    assert cohort.label("en") in risk.body and "or are flagged for expulsion: 0." in risk.body
    assert digest.recipient == manager.email and digest.channel == Channel.EMAIL
    assert digest.subject.endswith(cohort.label("en"))
    assert "- Jun Park: 2 more absences possible" in digest.body


# --- the preferences page -------------------------------------------------------------------


def test_the_account_page_leads_to_the_message_settings(client, login_as):
    login_as(Role.TRAINEE, locale="en")
    shown = page(client.get("/auth/account"))
    assert "/notify/preferences" in shown and "By E-mail" in shown


def test_a_user_sets_phone_channel_and_opt_out_and_the_phone_change_is_audited(client, login_as):
    user = login_as(Role.MENTOR, locale="en")
    form = page(client.get("/notify/preferences"))
    assert "Mobile phone" in form and "Send my messages by" in form

    response = client.post(
        "/notify/preferences",
        data={"phone": "+82 10-2345-6789", "channel": "sms", "essential_only": "y"},
    )

    assert response.status_code == 302
    assert "Your message settings are saved." in page(client.get(response.location))
    db.session.refresh(user)
    assert (user.phone, user.notify_channel, user.notify_opt_out) == (PHONE, "sms", True)
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.updated")
    ).all()
    assert entry.changes == {"phone": [None, PHONE]} and entry.object_id == user.id
    assert "text message" in page(client.get("/auth/account")).lower()

    client.post("/notify/preferences", data={"phone": PHONE, "channel": "kakao"})
    db.session.refresh(user)
    assert user.notify_channel == "kakao" and not user.notify_opt_out
    changes = sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "user.updated")
    assert db.session.scalar(changes) == 1  # the phone did not change again


def test_every_problem_shows_at_once_beside_its_field(client, login_as):
    user = login_as(Role.TRAINEE, locale="en")

    response = client.post("/notify/preferences", data={"phone": "02-123-4567", "channel": "fax"})

    assert response.status_code == 200
    assert field_errors(response, "phone") == ["Enter a mobile number such as 010-1234-5678."]
    assert field_errors(response, "channel") == ["Not a valid choice."]
    assert 'value="02-123-4567"' in page(response)

    response = client.post("/notify/preferences", data={"phone": "", "channel": "kakao"})
    assert field_errors(response, "channel") == [
        "Enter your mobile number to get text or KakaoTalk messages."
    ]
    db.session.refresh(user)
    assert user.phone is None and user.notify_channel == "kakao"  # nothing stored


def test_the_preferences_form_needs_its_csrf_token(make_app, make_user):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    user = make_user(Role.TRAINEE, locale="en")
    browser = guarded.test_client()
    login_page = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    browser.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )

    refused = browser.post("/notify/preferences", data={"phone": PHONE, "channel": "sms"})

    assert refused.status_code == 400
    with guarded.app_context():
        assert db.session.get(User, user.id).phone is None
        form = browser.get("/notify/preferences").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        accepted = browser.post(
            "/notify/preferences", data={"phone": PHONE, "channel": "sms", "csrf_token": token}
        )
        assert accepted.status_code == 302
        db.session.expire_all()
        assert db.session.get(User, user.id).phone == PHONE


def test_the_page_needs_a_log_in(client):
    response = client.get("/notify/preferences")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_the_cli_prints_the_texts_to_register_with_kakao(live, runner):
    result = runner.invoke(args=["notify", "templates"])

    assert result.exit_code == 0, result.output
    assert "== attendance_at_risk (template: KA01TP-RISK)" in result.output
    assert "== retention_check (template: -)" in result.output
    assert "#{absences_left}" in result.output
    assert "password_reset" not in result.output  # e-mail only: never a KakaoTalk message
