"""Which escalation-risk words a complaint's text contains (升级投诉风险).

Chinese words match anywhere (Chinese has no spaces between words). Latin words and numbers
match only as whole tokens: "sue" is not in "issue", and the hotline 12345 is not in the phone
number 13812345678 or the order ORD-123456.
"""

import re
from functools import lru_cache

from complaints import config_cache

from .models import RiskKeyword


def active_keywords() -> tuple[str, ...]:
    """The active keywords (kept per process until one changes in the admin)."""
    return config_cache.cached(
        "external_cases.risk_keywords",
        lambda: tuple(RiskKeyword.objects.filter(is_active=True).values_list("text", flat=True)),
    )


def _is_latin(word: str) -> bool:
    return all(ord(char) < 0x2E80 for char in word)


@lru_cache(maxsize=512)
def _pattern(word: str) -> re.Pattern[str]:
    escaped = re.escape(word.strip())
    if _is_latin(word):
        return re.compile(rf"(?<![0-9A-Za-z]){escaped}(?![0-9A-Za-z])", re.IGNORECASE)
    return re.compile(escaped)


def words_found(text: str, keywords: tuple[str, ...] | None = None) -> list[str]:
    """The keywords present in `text`, in the configured order, each once."""
    keywords = active_keywords() if keywords is None else keywords
    return [word for word in keywords if word.strip() and _pattern(word).search(text)]
