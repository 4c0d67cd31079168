"""Suggested answers: KB articles and canned replies ranked by TF-IDF over the shared analysis, and
similar resolved tickets with what was done about them. Reads only; nothing is sent to anyone."""

from dataclasses import dataclass
from typing import Any

from complaints import config_cache
from complaints.models import CannedReply, KBArticle, Resolution, Ticket
from complaints.states import Status

from . import selectors, text

SHOWN = 3
MIN_SCORE = 0.05
SIMILAR_CANDIDATES = 150


@dataclass(frozen=True)
class Match:
    item: Any
    score: float


@dataclass(frozen=True)
class _Index:
    vectorizer: Any
    matrix: Any
    items: tuple[Any, ...]


def _build(items: list[Any], documents: list[str]) -> _Index | None:
    if not items:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=text.terms, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # every document empty after analysis
        return None
    return _Index(vectorizer=vectorizer, matrix=matrix, items=tuple(items))


def _article_index(public_only: bool) -> _Index | None:
    def load() -> _Index | None:
        articles = KBArticle.objects.filter(is_published=True).select_related("category")
        if public_only:
            articles = articles.filter(is_public=True)
        articles = list(articles)
        return _build(
            articles,
            [
                f"{a.title_zh} {a.title_en}\n{a.title_zh} {a.body_zh}\n{a.title_en} {a.body_en}"
                for a in articles
            ],
        )

    return config_cache.cached(f"assist.articles.{'public' if public_only else 'all'}", load)


def _reply_index() -> _Index | None:
    def load() -> _Index | None:
        replies = list(CannedReply.objects.filter(is_active=True))
        return _build(replies, [f"{r.title}\n{r.body}" for r in replies])

    return config_cache.cached("assist.replies", load)


def _rank(index: _Index | None, query: str, *, keep: Any = None, shown: int = SHOWN) -> list[Match]:
    if index is None or not text.analyse(query).terms:
        return []
    scores = (index.matrix @ index.vectorizer.transform([query]).T).toarray().ravel()
    order = scores.argsort()[::-1]
    found = []
    for position in order:
        item, score = index.items[position], float(scores[position])
        if score < MIN_SCORE:
            break
        if keep is None or keep(item):
            found.append(Match(item=item, score=score))
        if len(found) == shown:
            break
    return found


def articles_for(query: str, *, public_only: bool = False, shown: int = SHOWN) -> list[Match]:
    """The KB articles that best answer `query` (public FAQ ones only for customers)."""
    return _rank(_article_index(public_only), query, shown=shown)


def replies_for(query: str, *, team_id: int | None = None) -> list[Match]:
    """Canned replies for `query`, the ticket's team's own and everyone's."""
    return _rank(_reply_index(), query, keep=lambda r: r.team_id in (None, team_id))


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    resolution: Resolution | None
    score: float


def similar_resolved(ticket: Ticket, *, category_id: int | None = None) -> list[SimilarTicket]:
    """Resolved tickets most like this one (its category, or the suggested one), with their root cause
    and remedy: what worked last time."""
    query = f"{ticket.subject}\n{ticket.description}"
    if not text.analyse(query).terms:
        return []
    candidates = Ticket.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED], is_spam=False).exclude(
        pk=ticket.pk
    )
    category_id = category_id or ticket.category_id
    if category_id:
        candidates = candidates.filter(category_id=category_id)
    candidates = list(
        candidates.only("pk", "reference", "subject", "description", "category_id", "status").order_by("-pk")[
            :SIMILAR_CANDIDATES
        ]
    )
    if not candidates:
        return []
    row = selectors.current_model_row()
    model = selectors.load_classifier(row) if row is not None else None
    documents = [f"{c.subject}\n{c.description}" for c in candidates]
    if model is not None:
        vectors = model.vectorizer.transform([query, *documents])
        scores = (vectors[1:] @ vectors[0].T).toarray().ravel().tolist()
    else:
        mine = text.analyse(query).terms
        scores = [text.cosine(mine, text.analyse(d).terms) for d in documents]
    best = sorted(zip(scores, candidates, strict=True), key=lambda pair: -pair[0])[:SHOWN]
    best = [(score, c) for score, c in best if score >= MIN_SCORE]
    resolutions: dict[int, Resolution] = {}
    for resolution in (
        Resolution.objects.filter(ticket__in=[c for _s, c in best])
        .select_related("root_cause")
        .order_by("pk")
    ):
        resolutions[resolution.ticket_id] = resolution  # the latest one
    return [SimilarTicket(ticket=c, resolution=resolutions.get(c.pk), score=score) for score, c in best]
