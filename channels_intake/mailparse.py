"""Reading inbound e-mail: MIME parsing, safe text from HTML, quoted history trimmed, loop signals.

The standard library's `email` package with `policy.default` decodes RFC 2047 headers and
RFC 2231 file names. Chinese mail is often mislabelled: text labelled GB2312 carries GBK bytes,
and text labelled Big5 carries Microsoft's cp950 or Hong Kong's HKSCS characters. Bodies, subjects,
sender names and file names are therefore decoded with the superset of their label (GB18030 for
the GB family, Big5-HKSCS then cp950 for Big5) where the label itself fails.
"""

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy, compat32
from email.utils import parseaddr, unquote

import nh3

from complaints.models.tickets import REFERENCE_PATTERN

REFERENCE_RE = re.compile(REFERENCE_PATTERN)
MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
# What to decode a label's text with, in order: the superset first, as mislabelled mail needs.
_GB = ("gb18030",)
_BIG5 = ("big5hkscs", "cp950")
CHARSET_FALLBACKS: dict[str, tuple[str, ...]] = {
    "gb2312": _GB,
    "gbk": _GB,
    "x-gbk": _GB,
    "cp936": _GB,
    "gb18030": _GB,
    "euc-cn": _GB,
    "big5": _BIG5,
    "x-big5": _BIG5,
    "big5-hkscs": _BIG5,
    "big5hkscs": _BIG5,
    "cp950": ("cp950", "big5hkscs"),
}
_SURROGATES = re.compile("[\ud800-\udfff]")


def decode_text(data: bytes, charset: str | None) -> str:
    """Text from bytes under a declared charset: the label's superset, then GB18030 and UTF-8 for
    labels outside the Big5 family (whose bytes GB18030 would turn into the wrong characters)."""
    label = (charset or "utf-8").strip().lower()
    candidates = CHARSET_FALLBACKS.get(label, (label,))
    if candidates is not _BIG5 and label != "cp950":
        candidates = (*candidates, "gb18030", "utf-8")
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    for candidate in (*candidates, "utf-8"):
        try:
            return data.decode(candidate, errors="replace")
        except LookupError:
            continue
    return data.decode("utf-8", errors="replace")


def decode_header_value(raw: str) -> str:
    """An RFC 2047 header value (or raw 8-bit text) decoded with decode_text's fallbacks."""
    parts = []
    for data, charset in decode_header(raw):
        if isinstance(data, str):  # no encoded word: 8-bit bytes survive as surrogate escapes
            data = data.encode("utf-8", "surrogateescape")
        parts.append(decode_text(data, charset))
    return "".join(parts)


def _misdecoded(value: str) -> bool:
    return "\ufffd" in value or bool(_SURROGATES.search(value))


def _raw_header(msg: EmailMessage, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


class _HeadersParsedOnce(EmailPolicy):
    """policy.default, except that each header of one message is parsed once.

    The standard policy parses a header again on every read, and a part's Content-Type is read some
    fifteen times while a mail is walked (type, charset, disposition, file name, payload): half the
    cost of reading a small mail. Header objects are immutable, so the parsed one can be reused.
    A new instance per message, so nothing outlives the message it came from.
    """

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        object.__setattr__(self, "_parsed", {})  # policies refuse ordinary attribute writes

    def header_fetch_parse(self, name: str, value: str) -> object:
        if hasattr(value, "name"):  # already a header object
            return value
        parsed = self._parsed.get((name, value))
        if parsed is None:
            parsed = self._parsed[(name, value)] = super().header_fetch_parse(name, value)
        return parsed


class MalformedEmail(ValueError):
    """The bytes are not an e-mail we can read (no headers, no sender, or beyond our parsing bounds)."""


class EmailTooLarge(MalformedEmail):
    """The mail is larger than INTAKE["EMAIL_MAX_BYTES"]: refused before anything parses it."""


# Parsing bounds: a real mail nests a few levels (mixed > alternative > related, a forward or two);
# a bomb nests a thousand, which the standard parser follows by recursion until RecursionError.
MAX_MIME_DEPTH = 20
MAX_MIME_CONTAINERS = 200
_CONTAINER_HEADER = re.compile(rb"(?im)^content-type:\s*(multipart/|message/rfc822)")
# The mark on a stored item of which only the head was fetched (the mail was over the size cap).
TRUNCATED_HEADER = "X-Complaint-Desk-Truncated"
OVERSIZED_HEAD_BYTES = 64 * 1024


def max_bytes() -> int:
    from django.conf import settings

    return settings.INTAKE["EMAIL_MAX_BYTES"]


def check_bounds(raw: bytes) -> None:
    """Refuse a mail too large or with too many nested parts before the parser sees it."""
    limit = max_bytes()
    if len(raw) > limit:
        raise EmailTooLarge(f"The e-mail is {len(raw)} bytes, more than the limit of {limit}.")
    if len(_CONTAINER_HEADER.findall(raw, 0, len(raw))) > MAX_MIME_CONTAINERS:
        raise MalformedEmail(f"The e-mail has more than {MAX_MIME_CONTAINERS} nested MIME parts.")


@dataclass(frozen=True)
class EmailAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    subject: str
    from_name: str
    from_address: str
    return_path: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[EmailAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # Every Authentication-Results header, topmost (added last, by our own receiving server) first.
    authentication_results: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen

    @property
    def reference(self) -> str:
        match = REFERENCE_RE.search(self.subject.upper())
        return match.group(0) if match else ""


def message_ids(value: str | None) -> list[str]:
    return MESSAGE_ID_RE.findall(value or "")


def source_id_for(raw: bytes, message_id: str) -> str:
    """The unique key of an e-mail: its Message-ID, or a hash of the bytes when it has none."""
    if message_id and len(message_id) <= 255:
        return message_id
    return content_source_id(raw)


def content_source_id(raw: bytes) -> str:
    """The key of an e-mail by its bytes (for a mail without Message-ID, or one reusing a stored one)."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _fingerprint(raw: bytes) -> tuple[str, str, str, str]:
    """What makes two copies of a mail the same mail: sender, subject, date and body. The trace headers
    (Received, Delivered-To, Return-Path...) differ between mailboxes and deliveries and are left out."""
    normalised = raw.replace(b"\r\n", b"\n")
    head, _sep, body = normalised.partition(b"\n\n")
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
    return (
        str(headers.get("From", "")).strip(),
        str(headers.get("Subject", "")).strip(),
        str(headers.get("Date", "")).strip(),
        hashlib.sha256(body.rstrip(b"\n")).hexdigest(),
    )


def same_mail(stored: bytes, fetched: bytes) -> bool:
    """Whether two mails under one Message-ID are copies of one mail rather than two mails."""
    return stored == fetched or _fingerprint(stored) == _fingerprint(fetched)


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode at all
        value = None
    return "" if value is None else str(value).strip()


def _text_header(msg: EmailMessage, name: str) -> str:
    """A header as text; decoded again from its raw form when the standard decoding lost characters
    (a GB2312 label on GBK bytes, Big5 on HKSCS, raw 8-bit bytes)."""
    value = _header(msg, name)
    if _misdecoded(value):
        value = decode_header_value(_raw_header(msg, name)).strip()
    return value


def _sender(msg: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(msg, "From"))
    if _misdecoded(name):
        raw_name, _raw_address = parseaddr(_raw_header(msg, "From"))
        name = decode_header_value(raw_name)
    return name, address


def _decode_part(part: EmailMessage) -> str:
    return decode_text(part.get_payload(decode=True) or b"", part.get_content_charset())


def html_to_text(markup: str) -> str:
    """Readable plain text from HTML: every tag dropped, script/style content removed, entities decoded."""
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</tr\s*>|</h[1-6]\s*>", "\n", markup)
    stripped = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    text = html.unescape(stripped)
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Lines that start the quoted history of a reply, in the clients our customers use.
QUOTE_MARKERS = [
    re.compile(r"^On .{4,200} wrote:\s*$"),
    re.compile(r"^在 .{4,200} 写道[:：]\s*$"),
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|Forwarded message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^-{5,}\s*原始邮件\s*-{5,}$"),
    re.compile(r"^(From|发件人)\s*[:：].+$"),
]


def trim_quoted(text: str) -> str:
    """The new part of a reply: stops at a quote header or a trailing block of '>' lines."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if any(marker.match(stripped) for marker in QUOTE_MARKERS) and kept:
            break
        kept.append(line)
    while kept and (kept[-1].strip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


def _parts(msg: EmailMessage) -> Iterator[EmailMessage]:
    return msg.iter_parts() if msg.is_multipart() else iter([msg])


def _walk(msg: EmailMessage, texts: list[str], htmls: list[str], attachments: list[EmailAttachment]) -> None:
    """Collect texts and files in order, without recursion; nesting is bounded by MAX_MIME_DEPTH."""
    stack: list[Iterator[EmailMessage]] = [_parts(msg)]
    while stack:
        part = next(stack[-1], None)
        if part is None:
            stack.pop()
            continue
        content_type = part.get_content_type()
        nested = None
        if part.is_multipart():
            nested = part
        elif content_type == "message/rfc822":
            # A forwarded mail: its text joins the body, its files join ours.
            inner = part.get_payload()
            inner_msg = inner[0] if isinstance(inner, list) and inner else None
            if not isinstance(inner_msg, EmailMessage):
                continue
            texts.append(f"---- {_text_header(inner_msg, 'Subject')} ----")
            nested = inner_msg
        if nested is None:
            _take_leaf(part, content_type, texts, htmls, attachments)
            continue
        if len(stack) >= MAX_MIME_DEPTH:
            raise MalformedEmail(f"The MIME parts nest more than {MAX_MIME_DEPTH} levels deep.")
        stack.append(_parts(nested))


def _filename(part: EmailMessage) -> str | None:
    name = part.get_filename()
    if name is None or not _misdecoded(name):
        return name
    # Read the parameter again the compat32 way: an RFC 2231 value comes back as (charset, language,
    # bytes as Latin-1), an RFC 2047 one as its encoded words; both decode with our fallbacks.
    legacy = Message()
    for key, value in part.raw_items():
        legacy[key] = str(value)
    param = legacy.get_param("filename", header="content-disposition") or legacy.get_param("name")
    if isinstance(param, tuple):
        charset, _language, text = param
        return decode_text(text.encode("latin-1", "surrogateescape"), charset)
    if isinstance(param, str):
        return decode_header_value(unquote(param))
    return name


def _take_leaf(
    part: EmailMessage,
    content_type: str,
    texts: list[str],
    htmls: list[str],
    attachments: list[EmailAttachment],
) -> None:
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if disposition == "attachment" or filename or not content_type.startswith("text/"):
        payload = part.get_payload(decode=True)
        if payload:
            attachments.append(
                EmailAttachment(
                    filename=(filename or f"inline-{len(attachments) + 1}").replace("/", "_")[:200],
                    content_type=content_type,
                    content=payload,
                )
            )
        return
    if content_type == "text/html":
        htmls.append(_decode_part(part))
    else:
        texts.append(_decode_part(part))


def parse(raw: bytes) -> ParsedEmail:
    """Read an e-mail from its bytes; raises MalformedEmail if it has no sender or no headers."""
    if not raw or b":" not in raw.split(b"\n", 1)[0]:
        raise MalformedEmail("The data does not start with an e-mail header.")
    check_bounds(raw)
    try:
        msg = BytesParser(policy=_HeadersParsedOnce()).parsebytes(raw)
    except RecursionError:
        raise MalformedEmail("The MIME structure nests too deeply to be read.") from None
    if msg.defects and not msg.keys():
        raise MalformedEmail("; ".join(str(d) for d in msg.defects))
    from_name, from_address = _sender(msg)
    if "@" not in from_address:
        raise MalformedEmail("The e-mail has no usable From address.")
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[EmailAttachment] = []
    try:
        _walk(msg, texts, htmls, attachments)
    except MalformedEmail:
        raise
    except (LookupError, ValueError, AttributeError, RecursionError) as exc:
        raise MalformedEmail(f"The MIME structure cannot be read: {exc}") from exc
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = "\n\n".join(html_to_text(h) for h in htmls)
    return_path = msg.get("Return-Path")
    ids = message_ids(_header(msg, "Message-ID"))
    return ParsedEmail(
        message_id=ids[0] if ids else "",
        subject=re.sub(r"\s+", " ", _text_header(msg, "Subject")),
        from_name=from_name.strip(),
        from_address=from_address.strip().lower(),
        return_path=None if return_path is None else str(return_path).strip(),
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        text=trim_quoted(text),
        attachments=attachments,
        authentication_results=[str(value) for value in msg.get_all("Authentication-Results") or []][:20],
        headers={
            name.lower(): _header(msg, name)
            for name in (
                "Auto-Submitted",
                "Precedence",
                "X-Autoreply",
                "X-Autorespond",
                "X-Auto-Response-Suppress",
                "List-Id",
                "List-Unsubscribe",
                "Content-Type",
                TRUNCATED_HEADER,
                *LOOP_HEADERS,
            )
            if msg.get(name) is not None
        },
    )


BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
MAILER_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)
# The header every mail we send carries (with X-Loop naming the mailbox): mail that has it is ours.
OWN_LOOP_HEADER = "X-Complaint-Desk-Loop"
# Loop markers of mailing lists, procmail recipes and other helpdesks (RT, OTRS/Znuny, Zendesk, Jira):
# whoever set one, the mail was sent by a machine and answering it can start a loop.
LOOP_HEADERS = (
    OWN_LOOP_HEADER,
    "X-Loop",
    "X-RT-Loop-Prevention",
    "X-OTRS-Loop",
    "X-Zendesk-From-Account-Id",
    "X-JIRA-FingerPrint",
    "X-Autogenerated",
    "X-Auto-Generated",
    "X-Failed-Recipients",
)


def loop_reason(
    parsed: ParsedEmail, *, own_addresses: set[str], own_domain: str = "", from_machines: bool = False
) -> str:
    """Why this mail must never open a ticket or be answered (auto-reply, bounce, list, ourselves); '' if none.

    `from_machines`: the mailbox takes mail a machine sends (a regulator's forwarding system, often
    Auto-Submitted and from no-reply@); only our own loops and bounces are refused there."""
    headers = parsed.headers
    if OWN_LOOP_HEADER.lower() in headers:
        return "sent by this system (mail loop)"
    if own_domain and parsed.message_id.lower().rpartition("@")[2] == own_domain.lower():
        return "Message-ID of this system (mail loop)"
    if from_machines:
        if "multipart/report" in headers.get("content-type", "").lower():
            return "delivery report (bounce)"
        if BOUNCE_SENDERS.match(parsed.from_address) or parsed.from_address in own_addresses:
            return f"From: {parsed.from_address}"
        return ""
    auto = headers.get("auto-submitted", "").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    if headers.get("precedence", "").lower() in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {headers['precedence']}"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if name in headers:
            return f"{name}: {headers[name]}"
    for name in LOOP_HEADERS:
        if name.lower() in headers:
            return f"{name}: {headers[name.lower()]}"
    for name in ("List-Id", "List-Unsubscribe"):
        if name.lower() in headers:
            return f"{name}: {headers[name.lower()]}"
    if "multipart/report" in headers.get("content-type", "").lower():
        return "delivery report (bounce)"
    if parsed.return_path is not None and parsed.return_path.strip("<> ") == "":
        return "empty Return-Path (bounce)"
    if MAILER_DAEMONS.match(parsed.from_address):
        return f"From: {parsed.from_address}"
    if parsed.from_address in own_addresses:
        return "sent by this system (mail loop)"
    return ""
