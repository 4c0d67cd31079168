"""The one text analysis the assistant's classifier, answer search and repeat detection share.

Chinese runs are segmented into words by jieba (its dictionary ships with the package; the desk's
own words, AssistTerm rows, are added to it) and also cut into character bigrams, so a word the
segmenter splits differently in two texts still counts as shared. Latin-script runs become
lower-case tokens. Punctuation, emoji and common function words carry nothing.
"""

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Longer texts are cut here: the opening words say what the matter is, and the cost stays bounded.
MAX_CHARS = 4000
GRAM_MARK = "~"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:['’][a-z]+)?")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def _wordlist(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that appear in every kind of complaint and so tell nothing apart.
ZH_STOPWORDS = _wordlist(
    "的 了 是 我 我们 你 你们 他 她 它 在 和 与 就 都 也 很 还 又 再 吗 吧 呢 啊 呀 哦 嗯 把 被 给 让 "
    "这 那 这个 那个 这样 一个 一下 一直 已经 没有 不 没 有 要 会 能 可以 说 想 请 请问 您 您好 你好 "
    "谢谢 麻烦 现在 今天 昨天 时候 什么 怎么 为什么 如何 还是 但是 而且 然后 所以 因为 如果 自己 "
    "到 从 对 上 下 里 中 后 前 个 次 过 着 等 及 或 之 其 而 于 以 为 得 地"
)
EN_STOPWORDS = _wordlist(
    "a an the and or but if then so of to in on at for from by with about as is are was were be been "
    "being am i me my we our you your he she it its they them their this that these those there here "
    "have has had do does did not no can could would should will just very too also still yet again "
    "please hi hello dear thanks thank what why how when which who any some all more most than into "
    "out up down over after before since until while because s t don didn doesn isn wasn won"
)

_lock = threading.Lock()
_tokenizer = None
_user_words: frozenset[str] = frozenset()
# The dictionary fixed for a whole run (training, evaluation): read once instead of per text.
_pinned: ContextVar[frozenset[str] | None] = ContextVar("assist_pinned_words", default=None)


@contextmanager
def dictionary(words: Iterable[str] | None = None) -> Iterator[frozenset[str]]:
    """Analyse with these desk words (default: the admin's, read once) until the block ends."""
    pinned = frozenset(w.strip().lower() for w in words if w.strip()) if words is not None else _desk_words()
    token = _pinned.set(pinned)
    try:
        yield pinned
    finally:
        _pinned.reset(token)


def _base_tokenizer():  # -> jieba.Tokenizer
    global _tokenizer
    if _tokenizer is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        _tokenizer = tokenizer
    return _tokenizer


def _desk_words() -> frozenset[str]:
    from complaints import config_cache

    from .models import AssistTerm

    def load() -> frozenset[str]:
        return frozenset(
            word.strip().lower()
            for word in AssistTerm.objects.filter(is_active=True).values_list("word", flat=True)
            if word.strip()
        )

    return config_cache.cached("assist.terms", load)


def _segmenter(desk_words: frozenset[str] | None = None):
    """The jieba tokenizer with the desk's words added (and words removed from the admin taken out)."""
    global _user_words
    tokenizer = _base_tokenizer()
    wanted = desk_words if desk_words is not None else _pinned.get()
    if wanted is None:
        wanted = _desk_words()
    if wanted != _user_words:
        with _lock:
            for word in _user_words - wanted:
                tokenizer.del_word(word)
            for word in wanted - _user_words:
                # A high frequency so the segmenter prefers the whole word over its parts.
                tokenizer.add_word(word, freq=100_000)
            _user_words = wanted
    return tokenizer


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, cut to MAX_CHARS."""
    return unicodedata.normalize("NFKC", text or "")[:MAX_CHARS].lower()


@dataclass(frozen=True)
class Analysis:
    words: tuple[str, ...]
    grams: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Words and (marked) bigrams: what similarity and search compare."""
        return self.words + self.grams


def analyse(text: str, *, desk_words: frozenset[str] | None = None) -> Analysis:
    """Segment `text`; `desk_words` overrides the admin's dictionary (for training outside a request)."""
    text = normalise(text)
    words: list[str] = []
    grams: list[str] = []
    segmenter = None
    for run in _RUNS.findall(text):
        if _CJK_RUN.match(run):
            if segmenter is None:
                segmenter = _segmenter(desk_words)
            words.extend(w for w in segmenter.lcut(run, HMM=True) if w not in ZH_STOPWORDS)
            grams.extend(GRAM_MARK + run[i : i + 2] for i in range(len(run) - 1))
        elif run not in EN_STOPWORDS and (len(run) > 1 or run.isdigit()):
            words.append(_stem(run))
    return Analysis(words=tuple(words), grams=tuple(grams))


def _stem(token: str) -> str:
    """A light English stem, enough to meet 'charged'/'charges'/'charging' as one word."""
    token = token.replace("’", "'").split("'")[0]
    for suffix in ("ing", "ed", "es", "s"):
        if len(token) > len(suffix) + 2 and token.endswith(suffix) and not token.endswith("ss"):
            return token[: -len(suffix)]
    return token


def words(text: str) -> list[str]:
    """The classifier's word features (a module-level function, so a saved model can name it)."""
    return list(analyse(text).words)


def grams(text: str) -> list[str]:
    """The classifier's character features: Chinese bigrams, and English words' character trigrams."""
    analysis = analyse(text)
    found = list(analysis.grams)
    for word in analysis.words:
        if word.isascii() and len(word) > 3:
            padded = f"<{word}>"
            found.extend(GRAM_MARK + padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def terms(text: str) -> list[str]:
    return list(analyse(text).terms)


def cosine(a: Iterable[str], b: Iterable[str]) -> float:
    """Cosine of two bags of terms, 0.0 (nothing shared) to 1.0 (same)."""
    left, right = Counter(a), Counter(b)
    if not left or not right:
        return 0.0
    dot = sum(count * right[term] for term, count in left.items() if term in right)
    norm = math.sqrt(sum(c * c for c in left.values())) * math.sqrt(sum(c * c for c in right.values()))
    return dot / norm if norm else 0.0


def similarity(a: str, b: str) -> float:
    """How alike two complaints read, 0.0 to 1.0: the overlap of their words and bigrams."""
    return cosine(analyse(a).terms, analyse(b).terms)
