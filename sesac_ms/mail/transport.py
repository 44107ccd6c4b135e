"""How a message leaves: SMTP when MAIL_SERVER is set, the application log otherwise."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, Protocol

from flask import current_app


class DeliveryFailed(Exception):
    """This message was not accepted; the next one may be (a refused recipient, a lost line)."""


class ServerUnavailable(DeliveryFailed):
    """The SMTP server cannot be reached or refuses us: no message can go out now."""


def describe(error: BaseException) -> str:
    """An error as an admin reads it on the outbox page: its kind and its text."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Transport(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...

    def close(self) -> None: ...


class LogTransport:
    """Development and tests: each message is written to the application log."""

    def send(self, recipient: str, subject: str, body: str) -> None:
        current_app.logger.info("mail to %s: %s\n%s", recipient, subject, body)

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection, opened at the first message and reused for the next ones.

    Every socket operation waits at most MAIL_TIMEOUT seconds, so an unreachable or
    frozen server costs a sender seconds, not minutes.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.timeout = float(config.get("MAIL_TIMEOUT") or 10)
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD") or ""
        self.sender = config["MAIL_DEFAULT_SENDER"]
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(describe(error)) from error
        try:
            if self.use_tls:
                # Verify the server's certificate (smtplib's own default does not).
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            raise ServerUnavailable(describe(error)) from error
        return smtp

    def send(self, recipient: str, subject: str, body: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = recipient
        email["Subject"] = subject
        email.set_content(body)
        try:
            self._smtp.send_message(email)
        except smtplib.SMTPException as error:
            # A refused sender, recipient or text leaves the line usable (smtplib resets
            # it); a dropped line or a 421 (closing) does not.
            if isinstance(error, smtplib.SMTPServerDisconnected) or (
                getattr(error, "smtp_code", None) == 421
            ):
                self._drop()
            raise DeliveryFailed(describe(error)) from error
        except OSError as error:  # a timeout or reset socket: the next message reconnects
            self._drop()
            raise DeliveryFailed(describe(error)) from error

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None


def transport_for(config: Mapping[str, Any]) -> Transport:
    return SmtpTransport(config) if config.get("MAIL_SERVER") else LogTransport()
