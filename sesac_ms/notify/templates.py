"""Every message the app sends, in one place: one entry per kind, its subject and
paragraphs (English msgids; Korean in the ko catalog), and what kind of message it is.

A message is rendered in its recipient's language when it is queued. Values a caller
passes are shown in that language too: a datetime as "yyyy-MM-dd HH:mm" (or the entry's
own pattern), a date in the medium format, a lazy string translated, a callable called
with the locale (`cohort=cohort.label`). The same text is the e-mail's body and the text
message; a KakaoTalk notification is the registered template of that text, with #{name}
where the values go (`kakao_template_text`, printed by `flask notify templates`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    get_locale,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l

Format = str | Callable[[Any], str]

GREETING = _l("Hello %(name)s,")
LINK = "%(link)s"
SESSION_WHEN = "yyyy-MM-dd (EEE) HH:mm"


@dataclass(frozen=True)
class Template:
    subject: Any  # a lazy msgid
    body: tuple[Any, ...]  # paragraphs: lazy msgids, or a bare "%(value)s"
    # Security and account messages: sent even to people who want essential ones only.
    essential: bool = False
    # Sent at once at night too (security; a caller marks same-day session changes).
    urgent: bool = False
    # Only by e-mail: links that prove the mailbox (password, private status links).
    email_only: bool = False
    # How values show: a datetime pattern or a function of the value, per value name.
    formats: Mapping[str, Format] = field(default_factory=dict)
    # Values a caller may leave out (their paragraph is then left out).
    optional: tuple[str, ...] = ()


def _date_only(value: date | datetime) -> str:
    return format_date(value)


def _trainee_lines(trainees: Sequence[tuple[str, int]]) -> str:
    """The manager's digest: one line per trainee with the absences they can still afford."""
    return "\n".join(
        ngettext(
            "- %(name)s: %(num)d more absence possible",
            "- %(name)s: %(num)d more absences possible",
            left,
            name=name,
        )
        for name, left in trainees
    )


def _retention_lines(graduates: Sequence[tuple[str, int]]) -> str:
    """The coordinator's digest: one line per graduate ("name (company)") and the months."""
    return "\n".join(
        gettext("- %(name)s: %(months)d-month retention check", name=name, months=months)
        for name, months in graduates
    )


def _status_links(applications: Sequence[tuple[Callable[[str], str], str]]) -> str:
    """(cohort label function, private link) per application: its cohort, then its link."""
    locale = str(get_locale())
    return "\n\n".join(f"{label(locale)}\n{link}" for label, link in applications)


def _session(text: Any, *, optional: tuple[str, ...] = ()) -> Template:
    return Template(
        subject=_l("[SeSAC] %(kind)s · %(when)s"),
        body=(GREETING, text, "%(location)s", LINK),
        formats={"when": SESSION_WHEN},
        optional=("location", *optional),
    )


def _application(subject: Any, text: Any, **options: Any) -> Template:
    return Template(subject=subject, body=(GREETING, text, LINK), **options)


def _password(subject: Any, intro: Any) -> Template:
    return Template(
        subject=subject,
        body=(
            intro,
            _l("Open this link to set your password (valid for %(hours)d hours, once):"),
            LINK,
            _l("If you did not expect this mail, you can ignore it."),
        ),
        essential=True,
        urgent=True,
        email_only=True,
    )


TEMPLATES: dict[str, Template] = {
    # --- accounts and security ---------------------------------------------------------
    "password_welcome": _password(
        _l("[SeSAC MS] Set your password"),
        _l("Hello %(name)s, an account on SeSAC MS was created for you."),
    ),
    "password_reset": _password(
        _l("[SeSAC MS] Reset your password"),
        _l("Hello %(name)s, someone asked to reset your SeSAC MS password."),
    ),
    "account_locked": Template(
        subject=_l("[SeSAC MS] Log-in to your account is paused"),
        body=(
            GREETING,
            _l(
                "Someone typed a wrong password or log-in code for your SeSAC MS account "
                "%(n)d times in a row. To protect the account, log-in is refused until "
                "%(until)s (Seoul time)."
            ),
            _l(
                "If it was you, wait until then, or set a new password now: that also "
                "ends the lock. Ask for a link here:"
            ),
            LINK,
            _l(
                "If it was not you, the attempts failed and nobody got in with them. "
                "Still, choose a password that you use nowhere else."
            ),
        ),
        essential=True,
        urgent=True,
    ),
    "recovery_code_used": Template(
        subject=_l("[SeSAC MS] A recovery code was used to log in"),
        body=(
            GREETING,
            _l(
                "Someone logged in to your SeSAC MS account at %(when)s (Seoul time) "
                "with your password and one of your recovery codes. %(left)d codes are left."
            ),
            _l(
                "If it was not you, tell your administrator now: they can end every "
                "session and reset your second factor."
            ),
        ),
        essential=True,
        urgent=True,
        email_only=True,
    ),
    "second_factor_reset": Template(
        subject=_l("[SeSAC MS] Your second factor was reset"),
        body=(
            GREETING,
            _l(
                "An administrator removed the authenticator app, passkeys and recovery "
                "codes of your SeSAC MS account and ended its sessions. At your next "
                "log-in you set up a second factor again."
            ),
            _l("If you did not ask for this, tell your administrator now."),
        ),
        essential=True,
        urgent=True,
        email_only=True,
    ),
    # --- applicants ----------------------------------------------------------------------
    "application_submitted": _application(
        _l("[SeSAC] Application received: %(cohort)s"),
        _l(
            "We received your application to %(cohort)s. You can see its "
            "status and withdraw it at this private link:"
        ),
    ),
    "application_already_applied": _application(
        _l("[SeSAC] You already applied: %(cohort)s"),
        _l(
            "Someone, probably you, sent an application to %(cohort)s again with this "
            "e-mail address. Only one application per address is kept, so the new one "
            "was not stored. Your application of %(date)s is unchanged; see its "
            "status at this private link:"
        ),
        email_only=True,
        formats={"date": _date_only},
    ),
    "interview_slot": _application(
        _l("[SeSAC] Your interview: %(cohort)s"),
        _l("Your interview is on %(when)s at %(where)s. Details and changes:"),
    ),
    "application_accepted": _application(
        _l("[SeSAC] You are accepted: %(cohort)s"),
        _l(
            "Congratulations: you are accepted to %(cohort)s. Training starts "
            "on %(date)s. Your application:"
        ),
    ),
    "application_waitlisted": _application(
        _l("[SeSAC] You are on the waitlist: %(cohort)s"),
        _l(
            "You are on the waitlist of %(cohort)s. If a place frees up, we "
            "mail you an offer. Your application:"
        ),
    ),
    "waitlist_offer": _application(
        _l("[SeSAC] A place is free for you: %(cohort)s"),
        _l(
            "A place in %(cohort)s is free for you. Take it by %(date)s at "
            "this link, or it passes to the next applicant:"
        ),
    ),
    "application_rejected": _application(
        _l("[SeSAC] About your application: %(cohort)s"),
        _l(
            "Thank you for applying to %(cohort)s. We are sorry that we cannot "
            "offer you a place this time. Your application:"
        ),
    ),
    "status_links": Template(
        subject=_l("[SeSAC] The links to your applications"),
        body=(
            GREETING,
            _l(
                "Someone, probably you, asked for the private links to the applications sent "
                "with this e-mail address. Each link shows the application's status; keep "
                "them to yourself. If you did not ask, you can ignore this mail."
            ),
            "%(applications)s",
        ),
        essential=True,
        email_only=True,
        formats={"applications": _status_links},
    ),
    # --- 1:1 sessions --------------------------------------------------------------------
    "session_booked": _session(
        _l("%(other)s booked a %(kind)s session with you on %(when)s."),
    ),
    "session_scheduled": _session(
        _l("%(other)s scheduled a %(kind)s session with you on %(when)s."),
    ),
    "session_rescheduled": _session(
        _l("Your %(kind)s session with %(other)s moved to %(when)s."),
    ),
    "session_cancelled": _session(
        _l("Your %(kind)s session with %(other)s on %(when)s was cancelled: %(reason)s"),
        optional=("reason",),
    ),
    "session_completed": _session(
        _l("Your %(kind)s session with %(other)s on %(when)s is marked completed."),
    ),
    "session_no_show": _session(
        _l(
            "You missed your %(kind)s session with %(other)s on %(when)s. "
            "Contact them to book another."
        ),
    ),
    "session_logged": _session(
        _l("%(other)s wrote the summary of your %(kind)s session of %(when)s."),
    ),
    "session_reminder": _session(
        _l("Reminder: %(kind)s session with %(other)s tomorrow, %(when)s."),
    ),
    "follow_up_due": Template(
        subject=_l("[SeSAC] Follow-up due on %(due_on)s"),
        body=(
            GREETING,
            _l("A follow-up from your 1:1 session is due on %(due_on)s: %(text)s"),
            LINK,
        ),
        optional=("link",),
    ),
    # --- attendance and after training ---------------------------------------------------
    "attendance_at_risk": Template(
        subject=_l("[SeSAC] Your attendance in %(cohort)s"),
        body=(
            GREETING,
            _l(
                "Your attendance in %(cohort)s is close to the limit. Absences you can "
                "still afford before you fall under the 80%% needed to complete the "
                "course or are flagged for expulsion: %(absences_left)d."
            ),
            _l("If something keeps you from class, talk to your campus manager soon."),
            LINK,
        ),
        optional=("link",),
    ),
    "attendance_digest": Template(
        subject=_l("[SeSAC] Trainees close to the attendance limit: %(cohort)s"),
        body=(
            GREETING,
            _l(
                "These trainees of %(cohort)s can afford few more absences before they "
                "fall under 80%% or are flagged for expulsion:"
            ),
            "%(trainees)s",
            LINK,
        ),
        formats={"trainees": _trainee_lines},
        optional=("link",),
    ),
    "retention_check": Template(
        subject=_l("[SeSAC] How is your job going?"),
        body=(
            GREETING,
            _l(
                "It is %(months)d months since you started at %(company)s. Do you still "
                "work there? Please tell your campus coordinator: your answer helps the "
                "trainees who come after you."
            ),
            LINK,
        ),
        optional=("link",),
    ),
    "webhook_paused": Template(
        subject=_l("[SeSAC MS] A webhook is paused"),
        body=(
            GREETING,
            _l(
                "Deliveries to %(url)s failed %(failures)d times in a row, so SeSAC MS paused "
                "the subscription: no events go there until you resume it. Check the "
                "receiving service, then resume it here (what is still pending is sent):"
            ),
            LINK,
        ),
        essential=True,
    ),
    "retention_checks_due": Template(
        subject=_l("[SeSAC] Retention checks due"),
        body=(
            GREETING,
            _l(
                "These graduates of your cohorts started their jobs 6 or 12 months ago. Ask "
                "them whether they still work there and record the retention check:"
            ),
            "%(trainees)s",
            LINK,
        ),
        formats={"trainees": _retention_lines},
        optional=("link",),
    ),
}

KINDS = tuple(TEMPLATES)
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    # The values the text uses, as shown: a KakaoTalk template's variables.
    variables: dict[str, str]


def placeholders(text: str) -> list[str]:
    """The value names in a message text, in order, each once."""
    return list(dict.fromkeys(name for name, _ in _PLACEHOLDER.findall(text)))


def _show(value: Any, how: Format | None, locale: str) -> Any:
    if value is None:
        return ""
    if callable(how):
        return how(value)
    if isinstance(value, datetime):
        return format_datetime(value, how or "yyyy-MM-dd HH:mm")
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if callable(value):
        return str(value(locale))
    return str(value)


def render(kind: str, locale: str, values: Mapping[str, Any]) -> Rendered:
    """The message of `kind` in `locale` with `values`. KeyError for an unknown kind or a
    missing value; a paragraph of an optional value left out is dropped."""
    template = TEMPLATES[kind]
    with force_locale(locale):
        shown = {
            name: _show(value, template.formats.get(name), locale) for name, value in values.items()
        }
        for name in template.optional:
            shown.setdefault(name, "")
        subject = str(template.subject) % shown
        paragraphs = [str(paragraph) % shown for paragraph in template.body]
        texts = [str(paragraph) for paragraph in template.body]
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph.strip())
    used = [name for text in texts for name in placeholders(text)]
    return Rendered(
        subject=subject,
        body=body,
        variables={name: str(shown[name]) for name in dict.fromkeys(used)},
    )


def kakao_template_text(kind: str, locale: str = "ko") -> str:
    """The text to register with Kakao for `kind`: the message with #{name} for values."""
    template = TEMPLATES[kind]
    with force_locale(locale):
        paragraphs = [str(paragraph) for paragraph in template.body]
    text = "\n\n".join(paragraphs)
    return _PLACEHOLDER.sub(lambda match: "#{" + match.group(1) + "}", text).replace("%%", "%")
