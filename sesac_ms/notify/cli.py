"""`flask notify templates`: the texts to register with Kakao as KakaoTalk templates."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .service import kakao_template_id
from .templates import TEMPLATES, kakao_template_text

notify_cli = AppGroup("notify", help="Messages by KakaoTalk, text and e-mail.")


@notify_cli.command("templates")
@click.option("--locale", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
def templates_command(locale: str) -> None:
    """Print every message kind that may go by KakaoTalk with its text, #{name} where a
    value goes, and the template id configured for it (KAKAO_TEMPLATES)."""
    for kind, template in TEMPLATES.items():
        if template.email_only:
            continue
        template_id = kakao_template_id(kind, locale, current_app.config) or "-"
        click.echo(f"== {kind} (template: {template_id})")
        click.echo(kakao_template_text(kind, locale))
        click.echo()
