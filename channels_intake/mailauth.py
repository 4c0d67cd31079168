"""Whether an inbound e-mail's sender is who its From says, by our own receiving server's verdict.

A From address is only a claim. The receiving mail server checks SPF, DKIM and DMARC and records the
results in an Authentication-Results header (RFC 8601) named by its authserv-id. Only headers with
an authserv-id in INTAKE["MAIL_AUTHSERV_IDS"] count: anyone can write such a header into a mail,
but only the receiving server's own ones are trustworthy, and it adds them on top.
"""

import re

from django.conf import settings

from .mailparse import ParsedEmail

_RESULT_RE = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)
_HEADER_FROM_RE = re.compile(r"header\.(?:from|d)\s*=\s*([^\s;]+)", re.IGNORECASE)


def _verdicts(value: str) -> tuple[str, dict[str, list[tuple[str, str]]]]:
    """(authserv-id, {method: [(result, the domain it vouches for)]}) of one header value."""
    authserv_id, _, rest = value.partition(";")
    found: dict[str, list[tuple[str, str]]] = {}
    for clause in rest.split(";"):
        match = _RESULT_RE.search(clause)
        if match is None:
            continue
        domain = _HEADER_FROM_RE.search(clause)
        found.setdefault(match.group(1).lower(), []).append(
            (match.group(2).lower(), domain.group(1).strip("<>").lower() if domain else "")
        )
    return authserv_id.strip().split()[0].lower() if authserv_id.strip() else "", found


def _aligned(domain: str, sender_domain: str) -> bool:
    return bool(domain) and (sender_domain == domain or sender_domain.endswith("." + domain))


def sender_verified(parsed: ParsedEmail) -> bool | None:
    """True when our server vouches for the From domain (DMARC pass, or with no DMARC verdict an
    aligned DKIM pass); False when it does not; None when no authserv-id is configured (the mail's
    sender cannot be checked, as before)."""
    trusted = {value.lower() for value in settings.INTAKE["MAIL_AUTHSERV_IDS"]}
    if not trusted:
        return None
    sender_domain = parsed.from_address.rpartition("@")[2]
    for value in parsed.authentication_results:
        authserv_id, verdicts = _verdicts(value)
        if authserv_id not in trusted:
            continue
        if "dmarc" in verdicts:
            return any(result == "pass" for result, _ in verdicts["dmarc"])
        return any(
            result == "pass" and _aligned(domain, sender_domain)
            for result, domain in verdicts.get("dkim", [])
        )
    return False
