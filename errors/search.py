"""Full-text search over errors: the message, the exception type and the values of the JSON
context (not the trace), through the index each backend keeps (migration 0002_search).

A search is a user's text. It is read as words, "quoted phrases" and prefix* words, all of
which must match; everything else (operators, quotes left open, punctuation) is only a word
separator, so no input can produce a query the database refuses.
"""

import dataclasses
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connections
from django.db.models import F, IntegerField, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL

from errors.models import AppErrorSearchDocument

# Letters and digits, as FTS5's unicode61 tokenizer and PostgreSQL's parser (after the
# index replaced punctuation by spaces) both read them.
WORD = re.compile(r"[^\W_]+")
CHUNK = re.compile(r'"([^"]*)"?|([^\s"]+)')
MAX_TERMS = 16
MAX_WORD_LENGTH = 100
FTS_TABLE = "errors_apperror_fts"
BROAD_SEARCH = 1000
BROAD_PG_SEARCH = 5000


class RowId(Expression):
    """SQLite's implicit rowid of the query's own table, under whatever alias the table has
    (``U0`` inside a subquery): the FTS5 table is keyed by it.

    ``is_index_bypassed`` writes it ``+rowid``, which keeps SQLite from fetching every match
    by rowid and sorting them: it walks the (timestamp, id) index instead and stops after a
    page. That wins when many rows match and loses when few do."""

    output_field = IntegerField()

    def __init__(self, *, is_index_bypassed: bool = False) -> None:
        super().__init__()
        self.is_index_bypassed = is_index_bypassed

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        prefix = "+" if self.is_index_bypassed else ""
        return f"{prefix}{compiler.quote_name_unless_alias(alias)}.rowid", []


def is_broad_fts_search(alias: str, match: str) -> bool:
    """Whether an FTS5 query matches more than BROAD_SEARCH rows: counted in the index
    alone, which takes well under a millisecond, to pick the plan (see RowId)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [match, BROAD_SEARCH + 1],
        )
        return cursor.fetchone()[0] > BROAD_SEARCH


@dataclasses.dataclass(frozen=True)
class SearchTerm:
    """Words that must appear next to each other; the last may be a prefix."""

    words: tuple[str, ...]
    is_prefix: bool = False


def parse_search(text: str) -> list[SearchTerm]:
    """The terms of a user's search text: words, "quoted phrases" and prefix* words. A
    word joined by punctuation (``push_invoice``, ``INV-7``) is a phrase of its parts, the
    way both indexes store it."""
    terms: list[SearchTerm] = []
    for phrase, bare in CHUNK.findall((text or "").replace("\x00", " ")):
        chunk = phrase or bare
        words = tuple(word.lower() for word in WORD.findall(chunk) if len(word) <= MAX_WORD_LENGTH)
        if words:
            terms.append(SearchTerm(words, is_prefix=bool(bare) and bare.endswith("*")))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def to_fts5_query(terms: list[SearchTerm]) -> str:
    """FTS5 MATCH syntax: every term a double-quoted string (words are letters and digits
    only, so nothing inside can break out), ANDed."""
    return " ".join(f'"{" ".join(t.words)}"' + ("*" if t.is_prefix else "") for t in terms)


def to_tsquery(terms: list[SearchTerm]) -> str:
    """PostgreSQL ``to_tsquery`` syntax: phrases with ``<->``, prefixes with ``:*``, ANDed."""
    rendered = []
    for term in terms:
        words = [f"'{word}'" for word in term.words]
        if term.is_prefix:
            words[-1] += ":*"
        rendered.append("(" + " <-> ".join(words) + ")")
    return " & ".join(rendered)


def search_app_errors(queryset: QuerySet, text: str) -> QuerySet:
    """Errors matching every term of ``text``, through the backend's index; the order is
    left to the caller (newest first in lists). Blank text filters nothing; text with no
    words in it matches nothing. Any user text is accepted."""
    if not (text or "").strip():
        return queryset
    terms = parse_search(text)
    if not terms:
        return queryset.none()
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        # PostgreSQL cannot tell a record number matching 9 rows from a word matching
        # 100,000; it would walk the time index for both. Ask the GIN index first: a narrow
        # search becomes a list of ids, a broad one a join that stops after a page.
        query = _tsquery(terms)
        documents = AppErrorSearchDocument.objects.using(queryset.db).filter(document=query)
        ids = list(documents.values_list("error_id", flat=True)[: BROAD_PG_SEARCH + 1])
        if len(ids) <= BROAD_PG_SEARCH:
            return queryset.filter(pk__in=ids)
        return queryset.filter(search_document__document=query)
    if vendor == "sqlite":
        match = to_fts5_query(terms)
        matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        rowid = RowId(is_index_bypassed=is_broad_fts_search(queryset.db, match))
        return queryset.alias(fts_rowid=rowid).filter(fts_rowid__in=matching)
    # A backend without an index here: a scan, slow but correct.
    return queryset.filter(Q(message__icontains=text) | Q(data__icontains=text))


def rank_app_errors(queryset: QuerySet, text: str) -> QuerySet:
    """Search results best match first (``ts_rank`` on PostgreSQL, FTS5's bm25 on SQLite),
    newest first among equals. Ranking scores every match, so it costs time in proportion
    to how many rows match: cheap for a record number, slow for a word in every tenth row."""
    terms = parse_search(text)
    if not terms:
        return queryset
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        query = _tsquery(terms)
        return queryset.alias(
            search_rank=SearchRank(F("search_document__document"), query)
        ).order_by(F("search_rank").desc(), "-timestamp", "-id")
    if vendor == "sqlite":
        bm25 = RawSQL(  # lower is better
            f"(SELECT rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            f"AND {FTS_TABLE}.rowid = errors_apperror.rowid)",
            [to_fts5_query(terms)],
        )
        return queryset.order_by(bm25.asc(), "-timestamp", "-id")
    return queryset


def _tsquery(terms: list[SearchTerm]) -> SearchQuery:
    return SearchQuery(to_tsquery(terms), search_type="raw", config="simple")


HIGHLIGHT_START, HIGHLIGHT_STOP = "\ue000", "\ue001"  # private-use: never in real text


def highlight_messages(errors: QuerySet, text: str) -> dict:
    """``{error id: message}`` with the matched words between HIGHLIGHT_START and
    HIGHLIGHT_STOP, by the backend's own highlighter (``ts_headline``, FTS5 ``highlight``),
    for the errors whose message matched. Errors matched only by their context are left
    out."""
    terms = parse_search(text)
    ids = [error.pk for error in errors]
    if not terms or not ids:
        return {}
    model = errors.model
    alias = errors.db
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        query = _tsquery(terms)
        headline = SearchHeadline(
            "message",
            query,
            config="simple",
            start_sel=HIGHLIGHT_START,
            stop_sel=HIGHLIGHT_STOP,
            highlight_all=True,
        )
        rows = (
            model.objects.using(alias)
            .filter(pk__in=ids, search_document__document=query)
            .annotate(highlighted=headline)
            .values_list("pk", "highlighted")
        )
        return {pk: highlighted for pk, highlighted in rows if HIGHLIGHT_START in highlighted}
    if vendor == "sqlite":
        placeholders = ", ".join(["%s"] * len(ids))
        rows = model.objects.using(alias).raw(
            f"SELECT e.id, highlight({FTS_TABLE}, 0, %s, %s) AS highlighted "
            f"FROM {FTS_TABLE} JOIN errors_apperror e ON e.rowid = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND e.id IN ({placeholders})",
            [HIGHLIGHT_START, HIGHLIGHT_STOP, to_fts5_query(terms), *[pk.hex for pk in ids]],
        )
        return {
            row.pk: row.highlighted for row in rows if HIGHLIGHT_START in (row.highlighted or "")
        }
    return {}
