"""The IMAP poller: fetch new mail in batches, store and process each, then flag or move it.

A message is marked on the server only after its item (and ticket or message) is committed,
so a crash in between re-fetches it next time, and its unique Message-ID keeps it single.
"""

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass

from django.utils import timezone

from config import outbound_guard

from . import mailparse, services
from .models import InboundItem, Mailbox

logger = logging.getLogger(__name__)

IMAP_TIMEOUT = 30


@dataclass
class PollResult:
    fetched: int = 0
    processed: int = 0
    failed: int = 0
    ignored: int = 0

    def add(self, state: str) -> None:
        self.fetched += 1
        if state == InboundItem.State.PROCESSED:
            self.processed += 1
        elif state == InboundItem.State.IGNORED:
            self.ignored += 1
        else:
            self.failed += 1


class _GuardedIMAP4(imaplib.IMAP4):
    """IMAP whose socket goes through the outbound guard (no loopback or private address by default)."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return outbound_guard.connect(self.host, self.port, timeout=timeout)


class _GuardedIMAP4_SSL(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = outbound_guard.connect(self.host, self.port, timeout=timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in connection with the mailbox's security: implicit TLS, STARTTLS or (tests only) none.

    Whatever fails before the server greets us (refused, filtered, timed out, not IMAP, bad TLS) is
    reported in the same words, so the mailbox form cannot be used to scan ports.
    """
    try:
        if mailbox.security == Mailbox.Security.SSL:
            conn: imaplib.IMAP4 = _GuardedIMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT
            )
        else:
            conn = _GuardedIMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT)
            if mailbox.security == Mailbox.Security.STARTTLS:
                conn.starttls(ssl_context=ssl.create_default_context())
    except outbound_guard.OutboundRefused:
        raise
    except (imaplib.IMAP4.error, OSError, EOFError) as exc:
        logger.info("Mailbox %s: no IMAP session (%s: %s)", mailbox, type(exc).__name__, exc)
        raise outbound_guard.OutboundRefused(f"Could not connect to {mailbox.host}:{mailbox.port}.") from None
    conn.login(mailbox.username, mailbox.password)
    return conn


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mark_done(conn: imaplib.IMAP4, uid: bytes, mailbox: Mailbox, *, can_move: bool) -> None:
    """Move the message to the processed folder (MOVE, or COPY + delete), or flag it \\Seen."""
    if not mailbox.processed_folder:
        _check(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"))
        return
    target = _quote(mailbox.processed_folder)
    if can_move:
        _check(conn.uid("MOVE", uid, target))
    else:
        _check(conn.uid("COPY", uid, target))
        _check(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"))
        conn.expunge()


def _check(response: tuple[str, list]) -> list:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP command failed: {status} {data!r}")
    return data


def _sizes(conn: imaplib.IMAP4, uids: list[bytes]) -> dict[bytes, int]:
    """Each message's size as the server states it (RFC822.SIZE), fetched for the batch in one command."""
    if not uids:
        return {}
    sizes: dict[bytes, int] = {}
    for line in _check(conn.uid("FETCH", b",".join(uids), "(RFC822.SIZE)")):
        text = line[0] if isinstance(line, tuple) else line
        uid, size = re.search(rb"UID (\d+)", text or b""), re.search(rb"RFC822\.SIZE (\d+)", text or b"")
        if uid and size:
            sizes[uid.group(1)] = int(size.group(1))
    return sizes


def _raw_message(data: list) -> bytes | None:
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and re.search(rb"BODY\[\]|RFC822", part[0]):
            return part[1]
    return None


def poll_mailbox(mailbox: Mailbox) -> PollResult:
    """Read one batch of new mail from a mailbox; each message is committed before it is marked."""
    result = PollResult()
    conn = connect(mailbox)
    try:
        # Servers announce more after login (MOVE among it) than in their greeting.
        can_move = b"MOVE" in b" ".join(_check(conn.capability())).upper().split()
        _check(conn.select(_quote(mailbox.folder)))
        criterion = "ALL" if mailbox.processed_folder else "UNSEEN"
        uids = _check(conn.uid("SEARCH", None, criterion))[0].split()[: mailbox.batch_size]
        limit = mailparse.max_bytes()
        sizes = _sizes(conn, uids)
        for uid in uids:
            size = sizes.get(uid, 0)
            # Over the cap only the head is fetched: memory stays bounded whatever the server holds.
            section = (
                "(BODY.PEEK[])" if size <= limit else f"(BODY.PEEK[]<0.{mailparse.OVERSIZED_HEAD_BYTES}>)"
            )
            raw = _raw_message(_check(conn.uid("FETCH", uid, section)))
            if raw is None:
                continue  # deleted by someone else meanwhile
            try:
                if size > limit:
                    item = services.take_oversized_email(head=raw, size=size, mailbox=mailbox)
                else:
                    item = services.take_email(raw=raw, mailbox=mailbox)
            except Exception:
                # Not stored (the database refused it): left unmarked for the next poll, the batch goes on.
                logger.exception("Mailbox %s: message %s could not be stored", mailbox, uid.decode())
                continue
            result.add(item.state)
            if item.state == InboundItem.State.FAILED:
                # Kept as a failed item for the admin; flagged so a person sees it in the mailbox too.
                _check(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Flagged)"))
            mark_done(conn, uid, mailbox, can_move=can_move)
        if mailbox.processed_folder:
            conn.expunge()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return result


def poll_all_mailboxes() -> dict[str, int]:
    """Poll every active mailbox once; a mailbox that fails keeps its error and the others go on."""
    totals = PollResult()
    for mailbox in Mailbox.objects.filter(is_active=True).order_by("pk"):
        try:
            result = poll_mailbox(mailbox)
            mailbox.last_error = ""
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            logger.warning("Mailbox %s: %s", mailbox, exc)
            mailbox.last_error = f"{type(exc).__name__}: {exc}"
            result = PollResult()
        except Exception as exc:
            # Whatever one mailbox runs into, the others are still polled.
            logger.exception("Mailbox %s failed", mailbox)
            mailbox.last_error = f"{type(exc).__name__}: {exc}"
            result = PollResult()
        mailbox.last_polled_at = timezone.now()
        mailbox.save(update_fields=["last_polled_at", "last_error"])
        for name in ("fetched", "processed", "failed", "ignored"):
            setattr(totals, name, getattr(totals, name) + getattr(result, name))
    return totals.__dict__.copy()
