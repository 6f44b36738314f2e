"""E-mail over SMTP: ``KDC_SMTP_URL`` = ``smtp://[user:password@]host[:port]`` or
``smtp+starttls://…`` (STARTTLS, certificate verified against the system's CAs).

Messages are built with ``email.message.EmailMessage`` (the SMTP policy): UTF-8 bodies,
RFC 2047-encoded Korean subjects and names, a plain-text part always. One connection is
opened lazily per delivery run and reused; any failure drops it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from catalog.services.delivery import SendError

TIMEOUT = 30


def build_message(
    *,
    mail_from: str,
    to: str,
    to_name: str,
    subject: str,
    text: str,
    message_id: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = formataddr((to_name, to)) if to_name else to
    msg["Subject"] = subject
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or None
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    msg.set_content(text, cte="base64")  # 7-bit safe through any relay
    return msg


class SmtpMailer:
    """Sends messages through the server of an ``smtp://`` or ``smtp+starttls://`` URL."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT):
        parts = urlsplit(url)
        self.starttls = parts.scheme == "smtp+starttls"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (587 if self.starttls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                conn.ehlo()
                if self.starttls:
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
                if self.username:
                    conn.login(self.username, self.password)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def send(self, msg: EmailMessage) -> None:
        """Send one message; ``SendError`` (permanent if the server refused the address)."""
        try:
            self._connect().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _m in exc.recipients.values()]
            raise SendError(
                f"recipient refused: {_describe(exc.recipients)}",
                permanent=all(500 <= c < 600 for c in codes),
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendError(f"SMTP {self.host}:{self.port}: {exc}") from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _describe(recipients: dict) -> str:
    return "; ".join(
        f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
        for addr, (code, msg) in recipients.items()
    )
