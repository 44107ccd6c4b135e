"""Messages are looked up through the request's translations, found once per request.

Why: Flask-Babel finds the translations again for every message (the domain, the
request's babel context and the locale, each through `flask.g`, then the locale's name),
which on a page of a few hundred rows (a roster, a month's schedule) costs more than the
rest of its rendering. Here the translations are kept on that same babel context beside
the locale object they are for, and found again only when the locale object changes
(`force_locale`, `refresh`), so a message is never shown in the wrong language. Outside a
request (no `g`), Flask-Babel's own lookup answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import format_date, get_locale

_KEY = "sesac_translations"


def _kept(find: Callable[[], Any]) -> Any:
    try:
        ctx = g._flask_babel
    except (AttributeError, RuntimeError):
        return find()
    kept = getattr(ctx, _KEY, None)
    if kept is not None and kept[0] is getattr(ctx, "babel_locale", None):
        return kept[1]
    translations = find()
    setattr(ctx, _KEY, (get_locale(), translations))
    return translations


def install(app: Flask) -> None:
    """Keep the default domain's translations per request, for Python code and templates."""
    from .extensions import babel

    with app.app_context():  # the domain's name is read from the app's settings
        domain = babel.domain_instance
    if not getattr(domain, "_sesac_kept", False):
        find = domain.get_translations
        domain.get_translations = lambda: _kept(find)
        domain._sesac_kept = True
    install_form_translations()
    translations = domain.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


_WTFORMS: dict[str, Any] = {}  # locale -> WTForms' own messages, read once per process


def _wtforms_translations() -> Any:
    """WTForms' messages in the request's language, parsed from their catalog once per
    process and locale (Flask-WTF parses the file again for every request with a form)."""
    from babel import support
    from wtforms.i18n import messages_path

    locale = str(get_locale())
    found = _WTFORMS.get(locale)
    if found is None:
        found = _WTFORMS[locale] = support.Translations.load(
            messages_path(), [locale], domain="wtforms"
        )
    return found


def install_form_translations() -> None:
    """Flask-WTF's lookup, answered from the catalogs kept above (its contract: the
    request's translations or None outside a request with Babel)."""
    from flask_wtf import i18n

    if getattr(i18n, "_sesac_kept", False):
        return

    def kept() -> Any:
        if not request or "babel" not in current_app.extensions:
            return None
        return _wtforms_translations()

    i18n._get_translations = kept
    i18n._sesac_kept = True


def dates_shown(days: Iterable[date | None]) -> dict[date | None, str]:
    """Each date as the `date` filter shows it ("medium"; "" for none), formatted through
    Babel once per distinct date: a list page of fifty rows repeats a few dates."""
    return {day: format_date(day, "medium") if day else "" for day in set(days)}
