"""Seoul time: dates and times are stored in UTC and shown and reasoned about in Asia/Seoul."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def now_in_seoul() -> datetime:
    return datetime.now(SEOUL)


def today_in_seoul() -> date:
    """Today's date in Seoul (a UTC server's date differs from 15:00 to midnight UTC)."""
    return now_in_seoul().date()
