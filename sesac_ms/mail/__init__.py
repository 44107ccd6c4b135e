"""The outbox: requests queue messages (e-mail, text, KakaoTalk), a worker or cron sends them.

`queue()` is all that sesac_ms.notify needs; other code sends through `notify.send`.
Sending (`send_pending`, the worker) claims each message before it goes out, retries with
a growing pause, falls back from KakaoTalk to text to e-mail, and gives a message up only
after MAIL_GIVE_UP_AFTER; see `sender.py`.
"""

from ..models import OutboxMessage
from .outbox import (
    FAILED,
    FELL_BACK,
    PENDING,
    STATES,
    make_pending_due,
    outbox_counts,
    outbox_query,
    queue,
    requeue_failed,
    requeue_message,
    send_after_request,
)
from .sender import SendResult, retry_delay, send_pending
from .transport import transport_for
from .worker import run_worker, stop_on_signals

__all__ = [
    "FAILED",
    "FELL_BACK",
    "PENDING",
    "STATES",
    "OutboxMessage",
    "SendResult",
    "make_pending_due",
    "outbox_counts",
    "outbox_query",
    "queue",
    "requeue_failed",
    "requeue_message",
    "retry_delay",
    "run_worker",
    "send_after_request",
    "send_pending",
    "stop_on_signals",
    "transport_for",
]
