"""``kdc whoami`` and ``kdc events``: who the token is, and the event feed of what happened
(``GET /api/v1/me``, ``GET /api/v1/events``; docs/cli.md)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from kdc.client import ApiObject

if TYPE_CHECKING:
    from kdc.cli import Context

FOLLOW_WAIT = 25.0  # seconds per long poll; the server allows up to 30


@click.command("whoami")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of text.")
@click.pass_obj
def whoami(c: Context, as_json: bool) -> None:
    """Who this token is: user, role, team or institution, and the token itself."""
    from kdc.cli import emit_json, out

    me = c.client.get("/api/v1/me")
    if as_json:
        emit_json(me)
        return
    user, token = me["user"], me["token"]
    where = ""
    if me.get("team"):
        where = f" · team {me['team']['code']} ({me['team']['name_en']})"
    elif me.get("institution"):
        where = f" · institution {me['institution']['code']} ({me['institution']['name_en']})"
    out.print(f"{user['email']} ({user['name']}) · {me['role']}{where}", markup=False)
    expires = str(token.get("expires_at") or "never")[:10]
    out.print(
        f"token {token['id']} {token['prefix']}… · scopes {' '.join(token['scopes'])} · "
        f"expires {expires}",
        markup=False,
    )


def _line(event: ApiObject) -> str:
    data = event.get("data") or {}
    subject = event.get("subject") or {}
    what = data.get("dataset") or ""
    extra = " ".join(
        f"{k}={data[k]}"
        for k in ("status", "version", "amount_krw", "share_krw", "days")
        if data.get(k) not in (None, "")
    )
    return (
        f"{event['id']:>7}  {str(event.get('timestamp', ''))[:19]}  {event['type']:<28} "
        f"{event.get('audience', ''):<18} {subject.get('type', '')}:{subject.get('id', '')} "
        f"{what} {extra}"
    ).rstrip()


@click.command("events")
@click.option(
    "--after",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Only events with a larger id (the last id you saw).",
)
@click.option(
    "--kind", "kinds", multiple=True, help="Only this kind (repeatable), e.g. license.activated."
)
@click.option("--follow", "-f", is_flag=True, help="Keep waiting for new events (Ctrl-C stops).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line (NDJSON), each with its id.",
)
@click.pass_obj
def events(c: Context, after: int, kinds: tuple[str, ...], follow: bool, as_json: bool) -> None:
    """What happened that you may see, oldest first: your team's purchases and licences,
    joint purchases open to join, new versions of datasets you hold, notices.

    \b
    Without --follow: every event after --after, then the cursor on standard error.
    With --follow: then wait (long poll) and print each new event as it arrives."""
    from kdc.cli import err, out

    cursor = after
    while True:
        page = c.client.get(
            "/api/v1/events",
            after=cursor,
            limit=200,
            kind=list(kinds),
            wait=FOLLOW_WAIT if follow else None,
        )
        for event in page["items"]:
            if as_json:
                sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
            else:
                out.print(_line(event), markup=False)
        sys.stdout.flush()
        cursor = int(page["last_id"])
        if page.get("more"):
            continue
        if not follow:
            break
    err.print(f"[dim]last id {cursor}: kdc events --after {cursor}[/dim]")
