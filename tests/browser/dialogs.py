"""The one confirmation dialog (#confirm-dialog of base.html), for browser tests.

`confirm_dialogs(page)` answers every dialog the page opens with its action button and
collects the sentences it showed, like Playwright's `page.on("dialog", ...)` did for the
window.confirm the dialog replaced.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page

DIALOG = "#confirm-dialog.show"


def confirm_dialogs(page: Page) -> list[str]:
    """Confirm every confirmation dialog on the page; returns the list its sentences go into."""
    seen: list[str] = []

    def confirm(dialog: Locator) -> None:
        seen.append(dialog.locator("[data-confirm-text]").inner_text())
        dialog.locator("[data-confirm-ok]").click()

    page.add_locator_handler(page.locator(DIALOG), confirm)
    return seen
