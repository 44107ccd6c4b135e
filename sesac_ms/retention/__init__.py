"""Retention enforced for everything: the table of periods, the daily job and its forecast.

Every kind of personal data the app keeps has a retention period in config.py (one setting
each, overridable as SESAC_<NAME>) and a category here that counts and destroys what has
outlived it (`table.CATEGORIES`). `flask --app sesac_ms retention run` (cron, daily) applies
every category (`job.run`), `retention report` and the admin page /admin/retention show what
a month will destroy (`job.month_forecast`).

When something is destroyed: the job of day D destroys what is older than D minus the
period, counted in whole days of Seoul time. An upload made on 1 March with a 30-day period
is still there on 31 March and gone with the run of 1 April; a trainee whose last cohort
ended on 30 June 2026 with a 5-year period is kept through 30 June 2031.
"""

from .job import RunResult, month_forecast, run
from .table import CATEGORIES, Category, RetentionSettingError, category

__all__ = [
    "CATEGORIES",
    "Category",
    "RetentionSettingError",
    "RunResult",
    "category",
    "month_forecast",
    "run",
]
