"""Night-time quiet hours: no text or KakaoTalk message rings a phone from 21:00 to 08:00
Seoul time unless it is urgent; such a message waits until 08:00."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ..clock import SEOUL

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def is_quiet(moment: datetime) -> bool:
    """Whether `moment` (aware) falls in the quiet hours, Seoul time."""
    local = moment.astimezone(SEOUL).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def after_quiet_hours(moment: datetime) -> datetime:
    """`moment` itself outside the quiet hours, else the 08:00 (Seoul) that ends them; UTC."""
    if not is_quiet(moment):
        return moment
    local = moment.astimezone(SEOUL)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, SEOUL).astimezone(UTC)
