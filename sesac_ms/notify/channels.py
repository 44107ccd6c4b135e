"""How a text or KakaoTalk message leaves: Solapi's own SDK when SOLAPI_API_KEY is set,
the application log otherwise (as mail without MAIL_SERVER).

Errors are those of the mail transports, so the sender treats every channel alike:
`ServerUnavailable` (Solapi unreachable, timing out or failing on its side: try again
later) and `DeliveryFailed` (Solapi refused this message: a number it cannot reach, a
template that does not match, no credit; the message falls back to the next channel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from flask import current_app
from solapi import SolapiMessageService
from solapi.error.MessageNotReceiveError import MessageNotReceivedError
from solapi.model import KakaoOption, RequestMessage

from ..mail.transport import DeliveryFailed, ServerUnavailable, describe


class PhoneTransport(Protocol):
    def send_sms(self, phone: str, text: str) -> None: ...

    def send_kakao(
        self, phone: str, text: str, template_id: str | None, values: Mapping[str, str]
    ) -> None: ...

    def close(self) -> None: ...


def is_live(config: Mapping[str, Any]) -> bool:
    """Whether text messages really go out (a Solapi key, secret and sending number)."""
    return bool(
        config.get("SOLAPI_API_KEY")
        and config.get("SOLAPI_API_SECRET")
        and config.get("SOLAPI_SENDER")
    )


def phones_reachable(config: Mapping[str, Any]) -> bool:
    """Whether messages may be sent to phones at all: yes with Solapi, and in development
    (no MAIL_SERVER either) where every channel is only logged. With MAIL_SERVER but no
    Solapi a phone message would only reach the log, so everyone gets e-mail."""
    return is_live(config) or not config.get("MAIL_SERVER")


class LogPhoneTransport:
    """Development and tests: each message is written to the application log."""

    def send_sms(self, phone: str, text: str) -> None:
        current_app.logger.info("text message to %s:\n%s", phone, text)

    def send_kakao(
        self, phone: str, text: str, template_id: str | None, values: Mapping[str, str]
    ) -> None:
        current_app.logger.info(
            "KakaoTalk message to %s (template %s):\n%s", phone, template_id or "-", text
        )

    def close(self) -> None:
        pass


class SolapiTransport:
    """Solapi's SDK (`solapi` on PyPI), one request per message.

    A KakaoTalk notification sends the template's id and its variables; Solapi fills the
    registered text. `disableSms` stays off, so a notification Kakao cannot deliver later
    (the person has no KakaoTalk) reaches them as a text from Solapi itself; what Solapi
    refuses at once falls back here, to a text and then e-mail.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.sender = str(config["SOLAPI_SENDER"])
        self.pfid = str(config.get("KAKAO_PFID") or "")
        self.service = SolapiMessageService(
            api_key=str(config["SOLAPI_API_KEY"]), api_secret=str(config["SOLAPI_API_SECRET"])
        )
        # The SDK's one setting for where it sends (tests point it at a local server).
        self.service.base_url = str(config.get("SOLAPI_BASE_URL") or self.service.base_url)

    def send_sms(self, phone: str, text: str) -> None:
        # SMS up to 90 bytes, LMS above: Solapi picks by length (autoTypeDetect).
        self._send(RequestMessage(from_=self.sender, to=phone, text=text))

    def send_kakao(
        self, phone: str, text: str, template_id: str | None, values: Mapping[str, str]
    ) -> None:
        if not (self.pfid and template_id):
            raise DeliveryFailed("no KakaoTalk channel (KAKAO_PFID) or template for this message")
        option = KakaoOption(pf_id=self.pfid, template_id=template_id, variables=dict(values))
        self._send(RequestMessage(from_=self.sender, to=phone, kakao_options=option))

    def _send(self, message: RequestMessage) -> None:
        try:
            self.service.send(message)
        except MessageNotReceivedError as error:
            reasons = "; ".join(
                f"{failed.status_code} {failed.status_message}" for failed in error.failed_messages
            )
            raise DeliveryFailed(f"Solapi refused the message: {reasons}") from error
        except (httpx.TransportError, httpx.TimeoutException) as error:
            raise ServerUnavailable(describe(error)) from error
        except Exception as error:  # the SDK raises plain Exceptions for HTTP errors
            raise _http_error(error) from error

    def close(self) -> None:
        pass


def _http_error(error: Exception) -> DeliveryFailed:
    """The SDK's plain Exception("UnknownError", text) is a 5xx (Solapi's side: try again
    later); any other ("ValidationError", "InvalidApiKey", …) a refusal of this message."""
    args = [str(arg) for arg in error.args]
    text = ": ".join(args) or describe(error)
    if args and args[0] == "UnknownError":
        return ServerUnavailable(f"Solapi: {text}"[:500])
    return DeliveryFailed(f"Solapi: {text}"[:500])


def phone_transport_for(config: Mapping[str, Any]) -> PhoneTransport:
    return SolapiTransport(config) if is_live(config) else LogPhoneTransport()
