"""Urgency, anger and repeat-contact wording: a flag on the ticket with the words that raised it.

Words, not the model: they are few, obvious to a reader and must work before any training.
"""

import re

from . import text

# Matched on the normalised text (NFKC, lower case): Chinese as substrings, English as whole words.
ZH_SIGNALS = (
    "第二次投诉",
    "第三次投诉",
    "多次投诉",
    "又一次投诉",
    "再次投诉",
    "投诉多次",
    "反映多次",
    "气死",
    "太气人",
    "忍无可忍",
    "忍不了",
    "马上",
    "立刻",
    "立即",
    "尽快",
    "赶紧",
    "再不处理",
    "再不解决",
    "最后一次",
    "十万火急",
    "非常着急",
    "急用",
    "要求赔偿",
    "曝光",
    "投诉到底",
)
EN_SIGNALS = (
    "second complaint",
    "third complaint",
    "complained again",
    "again and again",
    "furious",
    "outraged",
    "unacceptable",
    "disgusted",
    "immediately",
    "right now",
    "urgent",
    "urgently",
    "asap",
    "last chance",
    "fix it today",
    "or i leave",
    "going to the press",
)
_EN = re.compile(r"\b(" + "|".join(re.escape(w) for w in EN_SIGNALS) + r")\b")


def signals(raw: str) -> list[str]:
    """The urgency words found in `raw`, in the order of the lists, each once."""
    normal = text.normalise(raw)
    found = [word for word in ZH_SIGNALS if word in normal]
    found.extend(dict.fromkeys(match.group(1) for match in _EN.finditer(normal)))
    return found
