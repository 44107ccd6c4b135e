"""The mail outbox: requests queue messages, a worker (or cron) sends them.

`queue()` is all that other code needs. Sending (`send_pending`, the worker) claims each
message before it goes out, retries with a growing pause and gives a message up only
after MAIL_GIVE_UP_AFTER; see `sender.py`.
"""

from ..models import OutboxMessage
from .outbox import (
    FAILED,
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
