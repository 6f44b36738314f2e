"""``kdc``: the command-line client of K-Data Catalog (see docs/cli.md).

Talks to the server over HTTP only (``KDC_URL``, ``KDC_TOKEN`` or ``--url``/``--token``).
Human-readable output by default, ``--json`` for scripts. Errors print the server's
problem ``detail`` on standard error.

Exit codes: 0 success; 1 usage or other error; 2 partial (some files failed, or the run
was interrupted); 3 refused by the server (401/403: no or bad token, missing scope, no
licence); 130 interrupted by Ctrl-C before anything could be summarised.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from kdc import __version__
from kdc.client import ApiError, ApiObject, Client, QueryValue

if TYPE_CHECKING:
    from kdc.fetch import FetchReport
    from kdc.upload import UploadSummary

EXIT_OK, EXIT_ERROR, EXIT_PARTIAL, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Context:
    def __init__(self, url: str | None, token: str | None, timeout: float, retries: int):
        self.url, self.token, self.timeout, self.retries = url, token, timeout, retries
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.url, self.token, timeout=self.timeout, retries=self.retries)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


pass_ctx = click.make_pass_decorator(Context)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for machines instead of text."
)


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def krw(amount: int | None) -> str:
    return "—" if amount is None else f"₩{amount:,}"


def human_bytes(n: float | None) -> str:
    """Decimal units, as the progress bar shows them (1 MB = 1,000,000 bytes)."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} PB"


def parse_size(value: str | None, name: str = "--limit-rate") -> int | None:
    """``500K``, ``20M``, ``1G`` or a number of bytes (binary multiples)."""
    if not value:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?\s*", value)
    if not m:
        raise click.BadParameter(f"{value!r} is not a size like 500K, 20M or 1G", param_hint=name)
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    size = int(float(m.group(1)) * factor)
    if size <= 0:
        raise click.BadParameter("must be positive", param_hint=name)
    return size


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--url",
    envvar="KDC_URL",
    metavar="URL",
    help="Server address (env KDC_URL; default http://127.0.0.1:5000).",
)
@click.option(
    "--token",
    envvar="KDC_TOKEN",
    metavar="TOKEN",
    help="API token (env KDC_TOKEN). Create one in the web UI or with `kdc tokens create`.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for the server.",
)
@click.option(
    "--retries",
    default=3,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Retries of reads on connection failures and 502/503/504.",
)
@click.version_option(__version__, prog_name="kdc")
@click.pass_context
def cli(
    ctx: click.Context, url: str | None, token: str | None, timeout: float, retries: int
) -> None:
    """K-Data Catalog client: find, buy and download licensed datasets.

    \b
    Exit codes: 0 success, 1 error, 2 partial (some files failed),
    3 refused by the server (no/bad token, missing scope or licence).
    """
    ctx.obj = Context(url, token, timeout, retries)
    ctx.call_on_close(ctx.obj.close)


# --- catalogue -----------------------------------------------------------------------


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--institution", multiple=True, help="Institution code (repeatable): NIKH, KBS …")
@click.option("--modality", multiple=True, help="text, tabular, image, audio, video, multimodal")
@click.option("--use", multiple=True, help="Permitted use: ai_training, commercial_model …")
@click.option("--sensitivity", multiple=True, help="open, restricted, deidentified_personal")
@click.option("--sort", default=None, help="relevance, title, newest, price …")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@json_option
@pass_ctx
def datasets(
    c: Context,
    query: str,
    institution: tuple[str, ...],
    modality: tuple[str, ...],
    use: tuple[str, ...],
    sensitivity: tuple[str, ...],
    sort: str | None,
    limit: int,
    page: int,
    all_pages: bool,
    as_json: bool,
) -> None:
    """Search the catalogue (QUERY matches Korean and English titles and keywords)."""
    params: dict[str, QueryValue] = dict(
        q=query or None,
        institution=list(institution),
        modality=list(modality),
        use=list(use),
        sensitivity=list(sensitivity),
        sort=sort,
        limit=limit,
        page=page,
    )
    if all_pages:
        pages = list(c.client.pages("/api/v1/datasets", **params))
        items = [d for p in pages for d in p["items"]]
        first = pages[0]
        result = {**first, "items": items, "page": first["page"], "next": None}
    else:
        result = c.client.get("/api/v1/datasets", **params)
    if as_json:
        emit_json(result)
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("slug", no_wrap=True)
    for col in ("inst.", "modality", "title", "offers", "size"):
        table.add_column(col, overflow="fold")
    for d in result["items"]:
        offers = ", ".join(f"{o['mode']} {krw(o['price_krw'])}" for o in d.get("offers", []))
        size = sum(v.get("total_bytes", 0) for v in d.get("versions", [])[-1:])
        table.add_row(
            d["slug"],
            d["institution"],
            d["modality"],
            f"{d['title_ko']}\n[dim]{d['title_en']}[/dim]",
            offers or "—",
            human_bytes(size),
        )
    out.print(table)
    shown = len(result["items"])
    more = "" if all_pages or not result.get("next") else f"; next: --page {result['page'] + 1}"
    err.print(f"[dim]{shown} of {result.get('total', shown)} datasets{more}[/dim]")


@cli.command()
@click.argument("slug")
@json_option
@pass_ctx
def show(c: Context, slug: str, as_json: bool) -> None:
    """Show a dataset: description, versions, offers and the teams licensing it."""
    d = c.client.get(f"/api/v1/datasets/{_seg(slug)}")
    if as_json:
        emit_json(d)
        return
    out.print(f"[bold]{d['title_ko']}[/bold]\n{d['title_en']}")
    out.print(
        f"[dim]{d['slug']} · {d['institution']} · {d['modality']} · "
        f"{d.get('sensitivity', '')}[/dim]\n"
    )
    if d.get("description_en") or d.get("description_ko"):
        out.print(d.get("description_ko") or "")
        out.print(d.get("description_en") or "")
        out.print()
    versions = Table(title="Versions", title_justify="left", box=None, header_style="bold")
    for col in ("label", "objects", "size", "published"):
        versions.add_column(col)
    for v in d.get("versions", []):
        versions.add_row(
            v["label"],
            str(v.get("object_count", "")),
            human_bytes(v.get("total_bytes")),
            str(v.get("published_at") or "—"),
        )
    out.print(versions)
    offers = Table(title="Offers", title_justify="left", box=None, header_style="bold")
    for col in ("id", "mode", "price", "term", "teams", "uses"):
        offers.add_column(col, overflow="fold")
    for o in d.get("offers", []):
        teams = f"{o.get('min_teams')}–{o.get('max_teams')}" if o["mode"] == "joint" else "1"
        offers.add_row(
            str(o["id"]),
            o["mode"],
            krw(o["price_krw"]),
            f"{o['term_months']} months",
            teams,
            ", ".join(o.get("uses", [])),
        )
    out.print(offers)
    licensed = d.get("licensed_by") or []
    out.print(f"Licensed by: {', '.join(licensed) if licensed else '—'}")


# --- purchases -----------------------------------------------------------------------


@cli.group()
def purchases() -> None:
    """List, request, join and leave purchases (individual and joint)."""


def _print_purchases(items: list[ApiObject]) -> None:
    table = Table(box=None, header_style="bold", show_edge=False, pad_edge=False)
    for col in ("id", "mode", "status", "dataset", "price", "participants (share)", "you may"):
        table.add_column(col, overflow="fold")
    for p in items:
        parts = ", ".join(
            f"{x['team']} {krw(x.get('share_krw'))}" for x in p.get("participants", [])
        )
        table.add_row(
            str(p["id"]),
            p["mode"],
            p["status"],
            p["dataset"],
            krw(p["price_krw"]),
            parts or "—",
            ", ".join(p.get("actions") or []) or "—",
        )
    out.print(table)


@purchases.command("list")
@click.option("--status", help="requested, open, pending_approval, approved, …")
@click.option("--mode", type=click.Choice(["individual", "joint"]))
@click.option("--team", help="Team code")
@click.option("--dataset", help="Dataset slug")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@json_option
@pass_ctx
def purchases_list(
    c: Context,
    status: str | None,
    mode: str | None,
    team: str | None,
    dataset: str | None,
    limit: int,
    all_pages: bool,
    as_json: bool,
) -> None:
    """Purchases visible to you, newest first (the joint-purchase board included)."""
    params: dict[str, QueryValue] = dict(
        status=status, mode=mode, team=team, dataset=dataset, limit=limit
    )
    if all_pages:
        items = list(c.client.items("/api/v1/purchases", **params))
        result: ApiObject = {"items": items, "total": len(items)}
    else:
        result = c.client.get("/api/v1/purchases", **params)
    if as_json:
        emit_json(result)
        return
    _print_purchases(result["items"])
    err.print(f"[dim]{len(result['items'])} of {result.get('total')} purchases[/dim]")


@purchases.command("show")
@click.argument("purchase_id", type=click.IntRange(1))
@json_option
@pass_ctx
def purchases_show(c: Context, purchase_id: int, as_json: bool) -> None:
    """One purchase with its participants and shares."""
    p = c.client.get(f"/api/v1/purchases/{purchase_id}")
    if as_json:
        emit_json(p)
    else:
        _print_purchases([p])


@purchases.command("request")
@click.argument("slug")
@click.option(
    "--offer",
    "offer_id",
    type=click.IntRange(1),
    help="Offer id (see `kdc show SLUG`); default: the dataset's only offer of --mode.",
)
@click.option(
    "--mode",
    type=click.Choice(["individual", "joint"]),
    help="individual (buy alone) or joint (open a joint purchase).",
)
@json_option
@pass_ctx
def purchases_request(
    c: Context, slug: str, offer_id: int | None, mode: str | None, as_json: bool
) -> None:
    """Request an individual purchase of SLUG, or open a joint one."""
    if offer_id is None:
        offers = [
            o
            for o in c.client.get(f"/api/v1/datasets/{_seg(slug)}").get("offers", [])
            if mode is None or o["mode"] == mode
        ]
        if len(offers) != 1:
            listing = (
                ", ".join(f"{o['id']} ({o['mode']}, {krw(o['price_krw'])})" for o in offers)
                or "none"
            )
            raise click.UsageError(f"choose an offer with --offer; offers of {slug}: {listing}")
        offer_id, mode = offers[0]["id"], offers[0]["mode"]
    body: dict[str, object] = {"dataset": slug, "offer": offer_id}
    if mode:
        body["mode"] = mode
    p = c.client.post("/api/v1/purchases", body, idempotent=True)
    if as_json:
        emit_json(p)
        return
    err.print(f"purchase {p['id']} ({p['mode']}) is {p['status']}")
    _print_purchases([p])


def _purchase_action(name: str, help_text: str, with_note: bool = False) -> None:
    @click.argument("purchase_id", type=click.IntRange(1))
    @json_option
    @pass_ctx
    def command(c: Context, purchase_id: int, as_json: bool, note: str | None = None) -> None:
        body = {"note": note} if with_note and note else {}
        p = c.client.post(f"/api/v1/purchases/{purchase_id}/{name}", body, idempotent=True)
        if as_json:
            emit_json(p)
            return
        err.print(f"purchase {p['id']} is {p['status']}")
        _print_purchases([p])

    if with_note:
        command = click.option("--note", default="", help="A note kept with the decision.")(command)
    command.__doc__ = help_text
    purchases.command(name)(command)


_purchase_action("join", "Join the open joint purchase PURCHASE_ID with your team.")
_purchase_action("leave", "Withdraw your team from the open joint purchase PURCHASE_ID.")
_purchase_action("confirm", "As team lead, commit your team's money to PURCHASE_ID.")
_purchase_action("close", "Close your joint purchase PURCHASE_ID to further teams.")
_purchase_action("cancel", "Cancel an undecided purchase your team requested.", True)
_purchase_action("approve", "Provider: approve PURCHASE_ID (charges every participant).", True)
_purchase_action("reject", "Provider: reject PURCHASE_ID.", True)


@cli.command()
@click.option("--status", type=click.Choice(["active", "suspended", "revoked", "expired"]))
@click.option("--dataset", help="Dataset slug")
@click.option("--team", help="Team code (providers, admins, auditors)")
@json_option
@pass_ctx
def licenses(
    c: Context, status: str | None, dataset: str | None, team: str | None, as_json: bool
) -> None:
    """Licences you may see: your team's (providers: your institution's)."""
    items = list(
        c.client.items("/api/v1/licenses", status=status, dataset=dataset, team=team, limit=100)
    )
    if as_json:
        emit_json({"items": items, "total": len(items)})
        return
    table = Table(box=None, header_style="bold", show_edge=False, pad_edge=False)
    for col in ("id", "team", "dataset", "status", "valid until", "objects", "bytes", "uses"):
        table.add_column(col, overflow="fold")
    for lic in items:
        uses = ", ".join((lic.get("terms") or {}).get("uses", []))
        status = lic["status"]
        if lic.get("attestation") == "due":
            status += " (attestation due)"
        table.add_row(
            str(lic["id"]),
            lic["team"],
            lic["dataset"],
            status,
            str(lic.get("valid_until", ""))[:10],
            _used(lic, "objects", str),
            _used(lic, "bytes", human_bytes),
            uses,
        )
    out.print(table)
    err.print(f"[dim]{len(items)} licences; objects and bytes issued this term / quota[/dim]")


def _used(lic: ApiObject, what: str, fmt: Callable[[int], str]) -> str:
    usage = lic.get("usage") or {}
    used, allowed = usage.get(f"{what}_issued"), usage.get(f"{what}_allowed")
    if used is None:
        return "—"
    return f"{fmt(used)} / {fmt(allowed)}" if allowed is not None else f"{fmt(used)} / no cap"


@cli.command("license")
@click.argument("license_id", type=click.IntRange(1))
@json_option
@pass_ctx
def license_show(c: Context, license_id: int, as_json: bool) -> None:
    """One licence: terms, usage by user and token, what it allows, attestation."""
    lic = c.client.get(f"/api/v1/licenses/{license_id}")
    if as_json:
        emit_json(lic)
        return
    usage = lic.get("usage") or {}
    out.print(
        f"licence {lic['id']}: {lic['team']} · {lic['dataset']} · {lic['status']} · valid "
        f"{str(lic.get('valid_from', ''))[:10]} – {str(lic.get('valid_until', ''))[:10]}"
    )
    out.print(
        f"this term (since {str(usage.get('term_started_at', ''))[:10]}): "
        f"{_used(lic, 'objects', str)} objects, {_used(lic, 'bytes', human_bytes)}"
    )
    for line in lic.get("usage_by_user") or []:
        token = (line.get("token") or "web") + ("…" if line.get("token") else "")
        out.print(
            f"  {line['user']} ({token}): {line['objects']} objects, "
            f"{human_bytes(line['bytes'])} in {line['grants']} issuance(s)"
        )
    allowed = [a for a, d in (lic.get("permissions") or {}).items() if d.get("permitted")]
    out.print(f"allows now: {', '.join(allowed) or 'nothing'}")
    acceptance = lic.get("acceptance") or {}
    if acceptance.get("accepted_at"):
        out.print(
            f"terms accepted {str(acceptance['accepted_at'])[:10]} by "
            f"{acceptance.get('accepted_by')} (text SHA-256 {acceptance.get('text_sha256')})"
        )
    if lic.get("attestation") == "due":
        out.print(
            f"destruction attestation due ({lic.get('days_overdue', 0)} day(s) overdue): "
            f"kdc purge {lic['dataset']} --dest DIR"
        )


@cli.command("accept-terms")
@click.argument("license_id", type=int)
@click.option("--show-text", is_flag=True, help="Print the full licence text first.")
@json_option
@pass_ctx
def accept_terms(c: Context, license_id: int, show_text: bool, as_json: bool) -> None:
    """Accept licence LICENSE_ID's terms and full text for your team (once, before the
    first download). The SHA-256 of the text read from the server is sent with it."""
    import hashlib

    resp = c.client.request("GET", f"/api/v1/licenses/{license_id}/text")
    text = resp.content
    if show_text and not as_json:
        out.print(text.decode("utf-8"), markup=False, highlight=False)
    digest = hashlib.sha256(text).hexdigest()
    lic = c.client.post(f"/api/v1/licenses/{license_id}/accept-terms", {"text_sha256": digest})
    if as_json:
        emit_json(lic)
        return
    terms = lic.get("terms") or {}
    out.print(
        f"accepted the terms of licence {lic['id']} ({lic['dataset']}) for team "
        f"{lic['team']}: uses {', '.join(terms.get('uses', []))}"
    )
    if terms.get("attribution"):
        out.print(f"attribution: {terms['attribution']}")
    out.print(f"licence text SHA-256: {digest}")


@cli.command()
@click.argument("slug")
@click.option(
    "--dest",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="The directory kdc fetch downloaded into.",
)
@click.option(
    "--license",
    "license_id",
    type=click.IntRange(1),
    help="The ended licence (default: the one owing an attestation).",
)
@click.option("--host", default=None, help="Host name to report (default: this machine's).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting.")
@json_option
@pass_ctx
def purge(
    c: Context,
    slug: str,
    dest: str,
    license_id: int | None,
    host: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Delete what `kdc fetch` wrote into --dest and attest it (when a licence has ended).

    \b
    The state file of kdc fetch says what was written; each file must still be what it
    verified, and the server checks the listing before anything is deleted. Files, partial
    downloads and the state file go; the attestation lists each deleted object's SHA-256
    and this host. Exit codes: 0 attested, 2 something could not be deleted (attested as
    partial), 1 refused (nothing deleted), 3 refused by the server.
    """
    from kdc.purge import Plan, PurgeRefused
    from kdc.purge import purge as run_purge

    def ask(checked: Plan, lic: ApiObject) -> bool:
        if yes or as_json:
            return True
        size = human_bytes(sum(o["size"] for o in checked.present))
        return click.confirm(
            f"delete {len(checked.present)} file(s) ({size}) of {slug} from {dest} and attest it "
            f"for licence {lic['id']}?",
            default=False,
            err=True,
        )

    try:
        report = run_purge(c.client, slug, dest, license_id=license_id, host=host, confirm=ask)
    except PurgeRefused as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(report)
    else:
        err.print(
            f"{report['status']}: {report['deleted']} file(s), {human_bytes(report['bytes_deleted'])} "
            f"deleted from {report['dest']} on {report['host']}; attestation "
            f"{report['attestation']} for licence {report['license']}"
        )
        for key in report["left"]:
            err.print(f"  [red]left[/red] {key}")
        if report["missing"]:
            err.print(f"  [dim]{len(report['missing'])} recorded file(s) were already gone[/dim]")
    if report["left"]:
        raise click.exceptions.Exit(EXIT_PARTIAL)


# --- data ------------------------------------------------------------------------------


@cli.command()
@click.argument("slug")
@click.option(
    "--dest",
    required=True,
    type=click.Path(file_okay=False, writable=True),
    help="Directory to download into (created if missing).",
)
@click.option("--version", "version", help="Version label; default: the latest published.")
@click.option(
    "--jobs",
    "-j",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Parallel downloads.",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only keys matching GLOB (repeatable; '*' also matches '/').",
)
@click.option(
    "--verify-all",
    is_flag=True,
    help="Hash every local file, even those the state file vouches for.",
)
@click.option("--limit-rate", metavar="RATE", help="Cap the total rate, e.g. 500K, 20M.")
@click.option(
    "--page-size",
    type=click.IntRange(1, 5000),
    help="Objects per manifest page (default: the server's).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@pass_ctx
def fetch(
    c: Context,
    slug: str,
    dest: str,
    version: str | None,
    jobs: int,
    include: tuple[str, ...],
    verify_all: bool,
    limit_rate: str | None,
    page_size: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Download a licensed dataset into --dest: parallel, resumable, SHA-256 verified.

    \b
    Re-running on a complete directory downloads nothing; an interrupted run resumes
    partial files (kept in DEST/.kdc/partial) with HTTP Range requests.
    Exit codes: 0 every file verified, 2 some files failed or interrupted,
    3 refused (no licence or token), 1 other errors.
    """
    from kdc.fetch import FetchAborted, Fetcher
    from kdc.progress import TransferProgress

    rate = parse_size(limit_rate)
    show_progress = not quiet and not as_json and err.is_terminal
    with TransferProgress(err, enabled=show_progress, label=slug) as progress:
        fetcher = Fetcher(
            c.client,
            slug,
            dest,
            version=version,
            jobs=jobs,
            include=include,
            verify_all=verify_all,
            limit_rate=rate,
            page_limit=page_size,
            on_total=progress.add_total,
            on_bytes=progress.advance,
            on_file=progress.file_done,
        )
        try:
            summary = fetcher.run()
        except FetchAborted as exc:
            raise exc.error from None
    data = summary.as_dict()
    if as_json:
        emit_json(data)
    else:
        _print_transfer_summary(data)
    if summary.interrupted or summary.failed:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _print_transfer_summary(data: FetchReport | UploadSummary) -> None:
    rate = human_bytes(data["bytes_per_second"]) + "/s"
    resumed = 0
    if "present" in data:  # a download
        parts = [f"{data['downloaded']} downloaded", f"{data['present']} already complete"]
        if data["repaired"]:
            parts.append(f"{data['repaired']} corrupt local file(s) replaced")
        moved, resumed = data["bytes_downloaded"], data["bytes_resumed"]
    else:
        parts = [f"{data['uploaded']} uploaded"]
        if data["skipped"]:
            parts.append(f"{data['skipped']} already there")
        moved = data["bytes_uploaded"]
    parts.append(f"{len(data['failed'])} failed")
    err.print(
        f"{data['status']}: {', '.join(parts)} of {data['objects']} files; "
        f"{human_bytes(moved)} in {data['seconds']:.1f} s ({rate})"
        + (f"; {human_bytes(resumed)} resumed" if resumed else "")
    )
    for f in data["failed"]:
        err.print(f"  [red]failed[/red] {f['key']}: {f['error']}")


@cli.command()
@click.argument("slug")
@click.argument("version")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, readable=True))
@click.option(
    "--jobs",
    "-j",
    default=4,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Parallel uploads.",
)
@click.option("--include", multiple=True, metavar="GLOB", help="Only files matching GLOB.")
@click.option("--notes", default=None, help="Release notes of the version.")
@click.option("--publish", is_flag=True, help="Publish (freeze) the version after uploading.")
@click.option(
    "--multipart-above",
    metavar="SIZE",
    default="64M",
    show_default=True,
    help="Upload files larger than SIZE in parts.",
)
@click.option(
    "--part-size",
    metavar="SIZE",
    default="16M",
    show_default=True,
    help="Size of each part (at least 5M).",
)
@click.option("--limit-rate", metavar="RATE", help="Cap the total rate, e.g. 500K, 20M.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@pass_ctx
def upload(
    c: Context,
    slug: str,
    version: str,
    directory: str,
    jobs: int,
    include: tuple[str, ...],
    notes: str | None,
    publish: bool,
    multipart_above: str,
    part_size: str,
    limit_rate: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Provider: upload DIRECTORY as VERSION of SLUG (multipart for large files).

    Every file's SHA-256 is computed locally and sent; the server refuses bytes that do
    not match. Files already uploaded with the same checksum are skipped.
    """
    from kdc.progress import TransferProgress
    from kdc.upload import Uploader

    show_progress = not quiet and not as_json and err.is_terminal
    with TransferProgress(err, enabled=show_progress, label=f"{slug} {version}") as progress:
        uploader = Uploader(
            c.client,
            slug,
            version,
            directory,
            jobs=jobs,
            include=include,
            notes=notes,
            publish=publish,
            multipart_above=parse_size(multipart_above, "--multipart-above"),
            part_size=parse_size(part_size, "--part-size"),
            limit_rate=parse_size(limit_rate),
            on_total=progress.add_total,
            on_bytes=progress.advance,
            on_file=progress.file_done,
        )
        summary = uploader.run()
    if as_json:
        emit_json(summary)
    else:
        _print_transfer_summary(summary)
    if summary["failed"]:
        raise click.exceptions.Exit(EXIT_PARTIAL)


# --- tokens ----------------------------------------------------------------------------


@cli.group()
def tokens() -> None:
    """Your API tokens: list, create (shown once), revoke."""


@tokens.command("list")
@json_option
@pass_ctx
def tokens_list(c: Context, as_json: bool) -> None:
    """Your tokens, newest first."""
    result = {"items": list(c.client.items("/api/v1/tokens"))}
    if as_json:
        emit_json(result)
        return
    table = Table(box=None, header_style="bold", show_edge=False, pad_edge=False)
    for col in ("id", "name", "prefix", "scopes", "status", "expires", "last used"):
        table.add_column(col, overflow="fold")
    for t in result["items"]:
        table.add_row(
            str(t["id"]),
            t["name"],
            t["prefix"] + "…",
            " ".join(t["scopes"]),
            t["status"],
            str(t.get("expires_at") or "—")[:10],
            str(t.get("last_used_at") or "—")[:16],
        )
    out.print(table)


@tokens.command("create")
@click.option("--name", default="", help="A label to recognise the token by.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Repeatable; default: every scope of the current token.",
)
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
@json_option
@pass_ctx
def tokens_create(c: Context, name: str, scopes: tuple[str, ...], days: int, as_json: bool) -> None:
    """Create a token and print it alone on standard output (shown only once)."""
    body: dict[str, object] = {"name": name, "days": days}
    if scopes:
        body["scopes"] = list(scopes)
    result = c.client.post("/api/v1/tokens", body)
    if as_json:
        emit_json(result)
        return
    click.echo(result["token"])
    err.print(
        f"[dim]token {result['id']} ({' '.join(result['scopes'])}), expires "
        f"{str(result['expires_at'])[:10]}; it is not shown again[/dim]"
    )


@tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
@pass_ctx
def tokens_revoke(c: Context, token_id: int) -> None:
    """Revoke one of your tokens; it stops working at once."""
    c.client.delete(f"/api/v1/tokens/{token_id}")
    err.print(f"token {token_id} revoked")


def _mount_audit() -> None:
    from kdc.audit_cmd import audit_group  # `kdc audit verify EXPORT.jsonl`, offline

    cli.add_command(audit_group, "audit")


_mount_audit()


def _mount_events() -> None:
    from kdc.events_cmd import events, whoami  # `kdc whoami`, `kdc events --follow`

    cli.add_command(whoami)
    cli.add_command(events)


_mount_events()


def _seg(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``kdc`` command."""
    try:
        rv = cli.main(args=argv, prog_name="kdc", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except ApiError as exc:
        err.print(f"kdc: error: {exc.detail}", markup=False)
        if exc.status:
            err.print(f"[dim]({exc.status} {exc.code})[/dim]")
        sys.exit(EXIT_REFUSED if exc.refused else EXIT_ERROR)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)


if __name__ == "__main__":
    main()
