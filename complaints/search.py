"""Word search in tickets and messages on PostgreSQL: full-text search over Chinese character bigrams.

Chinese is written without spaces, so PostgreSQL's parser would see a whole clause as one word.
`complaints_search_text` (SQL, defined by migration 0018) rewrites every run of Han characters
as its overlapping bigrams followed by its last character ("宽带网速" becomes "宽带 带网 网速 速"),
and `complaints_search_vector` feeds that to the `simple` configuration (lower case, no stemming,
no stop words). A two-character word is then one lexeme, answered by the index alone; a longer
one is all of its bigrams (`宽带 & 带网`), and then also a substring of the rows found; a single
character is a prefix (`宽:*`). Latin words match as prefixes too (`refund:*` finds "refunded"),
as close to the old substring search as an index allows.

The vectors are never stored: GIN indexes on the expressions (ticket subject and description,
message body) are kept by PostgreSQL itself on every insert and update, whatever wrote the row
(services, bulk_create in the demo loader and the other apps' bulk paths, raw SQL). jieba would
need Python on every write path; the bigrams find every two-character word jieba would, and the
ones it does not cut out.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Func, Max, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.db.models.lookups import Lookup

from .models import Message, Ticket


def available() -> bool:
    """True where the full-text search exists (PostgreSQL); elsewhere the desk searches substrings."""
    return connection.vendor == "postgresql"


class SearchVector(Func):
    """complaints_search_vector() of its arguments joined by a space: the expressions migration 0018
    indexes, written the same way (or the planner would not see that an index answers them)."""

    template = "complaints_search_vector((%(expressions)s))"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class Matches(Lookup):
    """`vector @@ query::tsquery`."""

    lookup_name = "complaints_matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", (*lhs_params, *rhs_params)


@dataclass(frozen=True)
class WordQuery:
    """One searched word: `tsquery` finds it through the indexes; a word of several lexemes
    (宽带网速, e-mail) is also looked for as typed, as a substring of the rows the index found:
    a phrase query (`宽带 <-> 带网`) would make PostgreSQL recompute each candidate's vector."""

    word: str
    tsquery: str
    single: bool


def ticket_matches(query: WordQuery) -> Q:
    vector = SearchVector(Cast(F("subject"), TextField()), F("description"))
    matched = Q(Matches(vector, Value(query.tsquery)))
    if query.single:
        return matched
    return matched & (Q(subject__icontains=query.word) | Q(description__icontains=query.word))


def message_matches(query: WordQuery) -> Q:
    matched = Q(Matches(SearchVector(F("body")), Value(query.tsquery)))
    return matched if query.single else matched & Q(body__icontains=query.word)


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _is_han(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


def word_queries(words: list[str]) -> list[WordQuery]:
    """A query for each word that has letters or digits, its lexemes found by PostgreSQL exactly
    as in the indexed texts: one statement for all the words."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.n, p.pos, v.lexeme"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS w(word, n),"
            " unnest(complaints_search_vector(w.word)) AS v, unnest(v.positions) AS p(pos)"
            " ORDER BY 1, 2",
            [words],
        )
        rows = cursor.fetchall()
    lexemes: dict[int, list[tuple[int, str]]] = {}
    for n, position, lexeme in rows:
        lexemes.setdefault(n, []).append((position, lexeme))
    queries = []
    for n, word in enumerate(words, start=1):
        kept = _needed(lexemes.get(n, []))
        if kept:
            queries.append(WordQuery(word=word, tsquery=_all_of(kept), single=len(kept) == 1))
    return queries


def _needed(lexemes: list[tuple[int, str]]) -> list[str]:
    """The word's lexemes in order, without each Han run's closing character (inside the bigram
    before it; it is only there so that a single character can be found)."""
    kept: list[tuple[int, str]] = []
    for position, lexeme in lexemes:
        previous = kept[-1] if kept else None
        closing = (
            previous is not None
            and previous[0] == position - 1
            and len(previous[1]) == 2
            and _is_han(previous[1])
            and len(lexeme) == 1
            and _is_han(lexeme)
        )
        if not closing:
            kept.append((position, lexeme))
    return [lexeme for _position, lexeme in kept]


def _all_of(lexemes: list[str]) -> str:
    """Every lexeme; a Latin word or a lone Han character at the end may go on ("refund" finds
    "refunded", 信 finds 信号)."""
    last = lexemes[-1]
    prefix = not _is_han(last) or len(last) == 1
    parts = [_quoted(lexeme) for lexeme in lexemes]
    parts[-1] += ":*" if prefix else ""
    return " & ".join(parts)


# A search shows at most this many tickets (a word in ten thousand tickets is not a search an
# agent pages through: they add a word), the newest: tickets are looked for in windows of ids
# from the newest back, each four times as wide as the one before, so a common word stops in the first.
# With more ids than about this, PostgreSQL would rather walk the queue's order index over every
# ticket and test each against the list (0.5 s at 10^6 tickets for 1000 ids).
TICKET_MATCHES = 300
FIRST_WINDOW = 20_000
# Ids read from one window: they are sorted here (newest first), not by PostgreSQL, which could
# otherwise walk the primary key and recompute each ticket's vector to find the matches.
WINDOW_READS = 5000
# Tickets found through their messages, per word and window.
MESSAGE_MATCHES = 1000


def matching_ticket_ids(queryset: QuerySet[Ticket], words: list[str]) -> list[int]:
    """Ids of the newest tickets of `queryset` (at most TICKET_MATCHES) where every word is in the
    subject, the description or one of the messages."""
    queries = word_queries(words)
    if not queries:
        return []
    high = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
    found: list[int] = []
    width = FIRST_WINDOW
    while high > 0 and len(found) < TICKET_MATCHES:
        low = max(high - width, 0)
        # Each word's tickets in the window, from the ticket index and the message index apart:
        # one OR of both would make PostgreSQL walk the window's ids and recompute every vector.
        candidates: set[int] | None = None
        for query in queries:
            in_tickets = Ticket.objects.filter(ticket_matches(query), pk__gt=low, pk__lte=high).order_by()
            having = set(in_tickets.values_list("pk", flat=True)[:WINDOW_READS])
            having |= set(_message_ticket_ids(query, low, high))
            candidates = having if candidates is None else candidates & having
        if candidates:
            visible = queryset.filter(pk__in=sorted(candidates)).order_by().values_list("pk", flat=True)
            found += sorted(visible, reverse=True)[: TICKET_MATCHES - len(found)]
        high, width = low, width * 4
    return found


def _message_ticket_ids(query: WordQuery, low: int, high: int) -> list[int]:
    rows = (
        Message.objects.filter(message_matches(query), ticket_id__gt=low, ticket_id__lte=high)
        .order_by()
        .values_list("ticket_id", flat=True)
    )
    # No DISTINCT in SQL: it would read every match before the first row came back.
    return list(dict.fromkeys(rows[: MESSAGE_MATCHES * 3]))[:MESSAGE_MATCHES]
