"""Sending the outbox: ``flask --app app deliver`` (``tick`` runs it too).

flask --app app deliver            # send due e-mails and webhooks; cron-safe, idempotent
flask --app app deliver --limit 200

E-mail goes out only when ``KDC_SMTP_URL`` is set; webhooks always. Safe on several hosts
at once (see ``catalog.services.delivery``).
"""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from catalog.db import get_session
from catalog.models.notifications import Channel
from catalog.outbox import text
from catalog.outbox.mail import SmtpMailer, build_message
from catalog.outbox.webhooks import WebhookPoster
from catalog.services import delivery
from catalog.services.delivery import DeliveryReport, Job


def email_text(job: Job, base_url: str) -> tuple[str, str]:
    """Subject and plain-text body of a notice e-mail, in the recipient's language."""
    with force_locale(job.recipient_locale if job.recipient_locale in ("ko", "en") else "ko"):
        words = text.render(job.kind, job.data)
        subject = f"[{_('K-Data Catalog')}] {words.title}"
        lines = [words.title, ""]
        if words.body:
            lines += [words.body, ""]
        lines += [
            _("Open: %(url)s", url=base_url + words.path),
            "",
            "-- ",
            _(
                "You receive this e-mail as a user of K-Data Catalog. Choose which notices "
                "come by e-mail: %(url)s",
                url=base_url + "/notifications/preferences",
            ),
        ]
    return subject, "\n".join(lines) + "\n"


def run_delivery(limit: int = 1000, now: datetime | None = None) -> DeliveryReport:
    """Send what is due over the configured channels (the app context's configuration);
    ``now`` decides what is due (default: the time of each batch)."""
    config = current_app.config
    base_url = config["BASE_URL"]
    session = get_session()
    with WebhookPoster() as poster:
        senders: dict = {Channel.WEBHOOK: poster.send}
        mailer = SmtpMailer(config["SMTP_URL"]) if config.get("SMTP_URL") else None

        def send_email(job: Job) -> None:
            subject, body = email_text(job, base_url)
            mailer.send(
                build_message(
                    mail_from=config["MAIL_FROM"],
                    to=job.target,
                    to_name=job.recipient_name,
                    subject=subject,
                    text=body,
                )
            )

        if mailer is not None:
            senders[Channel.EMAIL] = send_email
        try:
            return delivery.deliver_due(session, senders, limit=limit, now=now)
        finally:
            if mailer is not None:
                mailer.close()


def report_delivery(report: DeliveryReport) -> None:
    for did in report.sent:
        click.echo(f"sent delivery {did}")
    for did in report.retrying:
        click.echo(f"delivery {did} failed; will retry")
    for did in report.failed:
        click.echo(f"delivery {did} failed for good")
    waiting = ""
    if not current_app.config.get("SMTP_URL"):
        held = delivery.pending_count(get_session(), Channel.EMAIL)
        if held:
            waiting = f", {held} e-mail(s) held until KDC_SMTP_URL is set"
    click.echo(
        f"deliver: {len(report.sent)} sent, {len(report.retrying)} to retry, "
        f"{len(report.failed)} failed{waiting}",
        err=True,
    )


@click.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Most messages to send.")
@with_appcontext
def deliver_command(limit: int) -> None:
    """Send due notice e-mails and webhooks, retrying failures with backoff (cron-safe)."""
    report_delivery(run_delivery(limit))
