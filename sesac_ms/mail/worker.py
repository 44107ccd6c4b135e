"""The mail worker: send what is due, sleep a few seconds, again, until told to stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from flask import current_app

from ..extensions import db
from .sender import SendResult, send_pending


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or Ctrl+C (SIGINT), so the worker ends after the message in
    hand; a second Ctrl+C stops at once (claims left behind expire). The previous handlers
    are restored afterwards."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handle)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_worker(
    stop: threading.Event,
    *,
    interval: float = 5.0,
    limit: int = 100,
    once: bool = False,
    report: Callable[[SendResult], None] = lambda result: None,
) -> None:
    """Send passes until `stop` is set (after one pass with `once`).

    A pass that found less than `limit` to do is followed by a pause of `interval`
    seconds; a full one by the next pass at once. A pass that fails (the database is
    down) is logged and tried again after the pause.
    """
    while True:
        try:
            result = send_pending(limit)
        except Exception:
            current_app.logger.exception("a mail worker pass failed")
            db.session.remove()
            result = SendResult()
        if result.tried:
            report(result)
        if once or stop.is_set():
            return
        if result.tried < limit and stop.wait(interval):
            return
