"""The outbox and its sender: SMTP when MAIL_SERVER is set, the application log otherwise."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app, g

from .extensions import db
from .models import OutboxMessage
from .models.types import utcnow


def queue(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Store a message to send; it goes out with the request's commit, never before."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    g.mail_queued = True
    return message


def send_after_request(response):
    """Deliver what this request queued once the request has committed.

    Failures stay in the outbox for `flask mail send` (cron) to retry.
    """
    if g.pop("mail_queued", False) and current_app.config.get("MAIL_SEND_IMMEDIATELY"):
        try:
            send_pending()
        except Exception:  # never fail a request that already committed
            db.session.rollback()
            current_app.logger.exception("sending queued mail failed")
    return response


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        current_app.logger.info(
            "mail to %s: %s\n%s", message.recipient, message.subject, message.body
        )
        return
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send unsent messages, oldest first; return (sent, failed). Commits per message."""
    pending = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message in pending:
        message.attempts += 1
        try:
            _deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:1000]
            failed += 1
        else:
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed
