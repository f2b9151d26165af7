"""Full-text search over errors: the message, the exception type and the values of the JSON
context (not the trace), through the index each backend keeps (migration 0002_search).

A search is a user's text. It is read as words, "quoted phrases" and prefix* words, all of
which must match; everything else (operators, quotes left open, punctuation) is only a word
separator, so no input can produce a query the database refuses.
"""

import dataclasses
import json
import math
import re
from collections.abc import Sequence

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connections
from django.db.models import BooleanField, IntegerField, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL

from errors.counting import COUNT_CAP

# Letters and digits, as FTS5's unicode61 tokenizer and PostgreSQL's parser (after the
# index replaced punctuation by spaces) both read them.
WORD = re.compile(r"[^\W_]+")
CHUNK = re.compile(r'"([^"]*)"?|([^\s"]+)')
MAX_TERMS = 16
MAX_WORD_LENGTH = 100
FTS_TABLE = "errors_apperror_fts"
# An index entry walked costs about 1/50 of a row fetched by rowid (measured at 1M rows).
ROWID_LOOKUP_COST = 50
PLAN_COUNT_CAP = 50_000
BROAD_PG_SEARCH = COUNT_CAP  # the lists' count cap: a narrow search's count comes free
MAX_PREFIX_WORDS = 32
SURELY_BROAD_PG_SEARCH = BROAD_PG_SEARCH
RANK_WINDOW = 200


class RowId(Expression):
    """SQLite's implicit rowid of the query's own table, under whatever alias the table has
    (``U0`` inside a subquery): the FTS5 table is keyed by it.

    Given how many rows a search matches (``matches``, of ``total``), it also picks SQLite's
    plan, per query, from how many rows that query asks for (its LIMIT). Written ``+rowid``,
    it keeps SQLite from fetching every match by rowid and sorting them: SQLite walks the
    (timestamp, id) index instead and stops once it has the rows asked for, which reads
    about ``limit * total / matches`` index entries against ``matches`` rowid lookups. The
    walk wins when many rows match and few are wanted (a page of a common word); fetching
    by rowid wins when few match or many are wanted (a ranked window, a count)."""

    output_field = IntegerField()

    def __init__(self, *, matches: int | None = None, total: int = 0) -> None:
        super().__init__()
        self.matches = matches
        self.total = total

    def is_index_bypassed(self, limit: int | None) -> bool:
        if self.matches is None:
            return False
        wanted = self.matches if limit is None else min(limit, self.matches)
        return self.matches * self.matches * ROWID_LOOKUP_COST > wanted * self.total

    def as_sql(self, compiler, connection):
        query = compiler.query
        alias = query.get_initial_alias()
        prefix = "+" if self.is_index_bypassed(query.high_mark) else ""
        return f"{prefix}{compiler.quote_name_unless_alias(alias)}.rowid", []


def count_fts_matches(alias: str, match: str, *, cap: int) -> int:
    """How many rows an FTS5 query matches, at most ``cap``: counted in the index alone,
    a few milliseconds even for a word in every tenth row, to pick the plan (see RowId)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [match, cap],
        )
        return cursor.fetchone()[0]


def count_fts_rows(alias: str) -> int:
    """How many rows the FTS5 index holds, without counting them."""
    return fts_totals(alias)[0]


def fts_totals(alias: str) -> list[int]:
    """The totals FTS5 keeps for its bm25 (the "averages" record): the number of rows, then
    the number of tokens in each column; zeros while the index is empty."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1")
        row = cursor.fetchone()
    return _varints(bytes(row[0])) if row and row[0] else [0, 0, 0, 0]


@dataclasses.dataclass(frozen=True)
class SearchTerm:
    """Words that must appear next to each other; the last may be a prefix."""

    words: tuple[str, ...]
    is_prefix: bool = False
    # On PostgreSQL, the indexed words a prefix stands for (see expand_prefixes).
    completions: tuple[str, ...] | None = None


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
        words = [_tsquery_word(word) for word in term.words]
        if term.completions:
            words[-1] = "(" + " | ".join(_tsquery_word(word) for word in term.completions) + ")"
        elif term.is_prefix:
            words[-1] += ":*"
        rendered.append("(" + " <-> ".join(words) + ")")
    return " & ".join(rendered)


def _tsquery_word(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def expand_prefixes(alias: str, terms: list[SearchTerm]) -> list[SearchTerm] | None:
    """The terms with each prefix replaced by the indexed words it starts, when there are at
    most MAX_PREFIX_WORDS of them (migration 0009 keeps the words); None when a prefix
    starts no indexed word, so nothing can match. GIN answers whole words several times
    faster than a prefix, which it must read into a bitmap word by word."""
    expanded = []
    with connections[alias].cursor() as cursor:
        for term in terms:
            if term.is_prefix:
                cursor.execute(
                    "SELECT word FROM errors_apperror_search_word WHERE word LIKE %s "
                    "ORDER BY word LIMIT %s",
                    [term.words[-1] + "%", MAX_PREFIX_WORDS + 1],
                )
                words = tuple(row[0] for row in cursor.fetchall())
                if not words:
                    return None
                if len(words) <= MAX_PREFIX_WORDS:
                    term = dataclasses.replace(term, completions=words)
            expanded.append(term)
    return expanded


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
        terms = expand_prefixes(queryset.db, terms)
        if terms is None:
            return queryset.none()
        # PostgreSQL cannot tell a record number matching 9 rows from a word matching
        # 100,000; it would walk the time index for both. Ask the GIN index first: a narrow
        # search becomes a list of ids, a broad one a join that stops after a page.
        tsquery = to_tsquery(terms)
        if not _is_surely_broad(queryset.db, terms, tsquery):
            matches, ids = _matching_ids(queryset.db, tsquery, limit=BROAD_PG_SEARCH + 1)
            if matches <= BROAD_PG_SEARCH:
                return queryset.filter(IsIdAmong(ids, matches=matches))
        return queryset.filter(search_document__document=_tsquery(terms))
    if vendor == "sqlite":
        match = to_fts5_query(terms)
        matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        rowid = RowId(
            matches=count_fts_matches(queryset.db, match, cap=PLAN_COUNT_CAP),
            total=count_fts_rows(queryset.db),
        )
        return queryset.alias(fts_rowid=rowid).filter(fts_rowid__in=matching)
    # A backend without an index here: a scan, slow but correct.
    return queryset.filter(Q(message__icontains=text) | Q(data__icontains=text))


def _is_surely_broad(alias: str, terms: list[SearchTerm], tsquery: str) -> bool:
    """Whether the planner expects a one-word search in more than SURELY_BROAD_PG_SEARCH
    rows (its statistics, a fraction of a millisecond): fetching its first BROAD_PG_SEARCH
    ids would be wasted. Only a single word's estimate is trusted: for several words the
    planner multiplies their frequencies, and two common words that never meet would send
    the search down the join, which walks every error before it gives up."""
    if len(terms) != 1 or len(terms[0].words) != 1 or terms[0].is_prefix:
        return False
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM errors_apperror_search "
            "WHERE document @@ to_tsquery('simple', %s)",
            [tsquery],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"]) > SURELY_BROAD_PG_SEARCH


def _matching_ids(alias: str, tsquery: str, *, limit: int) -> tuple[int, str]:
    """How many errors match (at most ``limit``) and their ids as one ``uuid[]`` literal:
    thousands of ids travel as one string rather than as thousands of parameters, which
    took longer to send than the query took to run."""
    with connections[alias].cursor() as cursor:
        cursor.execute(MATCHING_IDS_SQL, [tsquery, limit])
        return cursor.fetchone()


MATCHING_IDS_SQL = (
    "SELECT count(*), coalesce(array_agg(error_id)::text, '{}') FROM ("
    "SELECT error_id FROM errors_apperror_search "
    "WHERE document @@ to_tsquery('simple', %s) LIMIT %s) AS matches"
)


class IsIdAmong(Expression):
    """``id = ANY(<uuid[] literal>)`` on the query's own table, under whatever alias it has:
    PostgreSQL sees a constant array and hashes it, so even walking the time index against
    thousands of ids costs one probe a row."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, ids: str, *, matches: int) -> None:
        super().__init__()
        self.ids = ids
        self.matches = matches

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{alias}.{connection.ops.quote_name('id')} = ANY(%s::uuid[])", [self.ids]


def count_search_matches(searched: QuerySet, text: str, *, cap: int) -> tuple[int, bool]:
    """How many errors match ``text`` (``searched`` is search_app_errors' queryset for it,
    with no other filter), at most ``cap``; and whether that count is exact. Never read
    from the errors table: building the search often counted its matches already (to pick
    the plan), and otherwise they are counted in the search index alone (the FTS5 table,
    the PostgreSQL side table; each holds one row per error), stopping at ``cap`` + 1."""
    terms = parse_search(text)
    if not terms:
        return 0, True
    known = _counted_matches(searched)
    if known is not None:
        return min(known, cap), known <= cap
    alias = searched.db
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        expanded = expand_prefixes(alias, terms)
        if expanded is None:
            return 0, True
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM errors_apperror_search "
            "WHERE document @@ to_tsquery('simple', %s) LIMIT %s) AS matches"
        )
        params = [to_tsquery(expanded), cap + 1]
    elif vendor == "sqlite":
        total = count_fts_matches(alias, to_fts5_query(terms), cap=cap + 1)
        return min(total, cap), total <= cap
    else:
        total = searched.order_by().values("pk")[: cap + 1].count()
        return min(total, cap), total <= cap
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        total = cursor.fetchone()[0]
    return min(total, cap), total <= cap


def _counted_matches(searched: QuerySet) -> int | None:
    """The number of matches the search counted while picking its plan, if it counted all
    of them: the narrow PostgreSQL plan's id list, or SQLite's count below PLAN_COUNT_CAP."""
    query = searched.query
    rowid = query.annotations.get("fts_rowid")
    if isinstance(rowid, RowId) and rowid.matches is not None:
        return rowid.matches if rowid.matches < PLAN_COUNT_CAP else None
    for condition in query.where.children:
        among = getattr(condition, "lhs", condition)
        if isinstance(among, IsIdAmong):
            return among.matches
    return None


def rank_newest_matches(queryset: QuerySet, text: str, *, window: int) -> list:
    """The ids of the newest ``window`` errors of ``queryset`` (a search, newest first),
    best match first, newest first among equals.

    Ranking every match of a word found in a tenth of a million errors took seconds, and
    nobody reads past the first pages of a ranked list; so only the newest matches (the
    list's RANK_WINDOW) are ranked, and a search matching fewer is ranked whole. PostgreSQL
    scores with ``ts_rank`` (message and exception type weigh more than the context),
    SQLite with the BM25 formula FTS5's ``rank`` uses, over the index's own counts (see
    _bm25_scores)."""
    terms = parse_search(text)
    alias = queryset.db
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        rows = list(queryset.values_list("pk", RowId())[:window])
        scores = _bm25_scores(alias, terms, [rowid for _, rowid in rows])
        ranked = sorted(rows, key=lambda row: scores.get(row[1], 0.0), reverse=True)
        return [pk for pk, _ in ranked]
    ids = list(queryset.values_list("pk", flat=True)[:window])
    if vendor != "postgresql" or not terms:
        return ids
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT error_id, ts_rank(document, to_tsquery('simple', %s)) "
            "FROM errors_apperror_search WHERE error_id = ANY(%s)",
            [to_tsquery(terms), ids],
        )
        scores = dict(cursor.fetchall())
    return sorted(ids, key=lambda pk: scores.get(pk, 0.0), reverse=True)  # stable: newest first


BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants


def _bm25_scores(alias: str, terms: list[SearchTerm], rowids: Sequence[int]) -> dict:
    """``{rowid: score}``, higher is better, by FTS5's bm25 formula, for a few hundred rows.

    FTS5 cannot score chosen rows cheaply (it walks a term's whole list of rows for each),
    so the rows' indexed text is read by rowid and scored here, with the corpus figures the
    formula needs taken from the index: the number of rows and tokens (its "averages"
    record) and how many rows contain each term (a count in the index)."""
    if not rowids or not terms:
        return {}
    placeholders = ", ".join(["%s"] * len(rowids))
    total_rows, *column_tokens = fts_totals(alias)
    with connections[alias].cursor() as cursor:
        idfs = []
        for term in terms:
            cursor.execute(
                f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                [to_fts5_query([term])],
            )
            having = cursor.fetchone()[0]
            idf = math.log((total_rows - having + 0.5) / (having + 0.5))
            idfs.append(idf if idf > 0 else 1e-6)
        cursor.execute(
            f"SELECT rowid, message, exception_type, context FROM {FTS_TABLE} "
            f"WHERE rowid IN ({placeholders})",
            list(rowids),
        )
        documents = cursor.fetchall()
    average_length = sum(column_tokens) / max(total_rows, 1)
    scores = {}
    for rowid, *columns in documents:
        words = [[word.lower() for word in WORD.findall(column or "")] for column in columns]
        length = sum(len(column) for column in words)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / max(average_length, 1e-9))
        score = 0.0
        for term, idf in zip(terms, idfs, strict=True):
            hits = sum(_occurrences(term, column) for column in words)
            score += idf * hits * (BM25_K1 + 1) / (hits + norm)
        scores[rowid] = score
    return scores


def _occurrences(term: SearchTerm, words: list[str]) -> int:
    size = len(term.words)
    *whole, last = term.words
    return sum(
        1
        for start in range(len(words) - size + 1)
        if words[start : start + size - 1] == whole
        and (
            words[start + size - 1].startswith(last)
            if term.is_prefix
            else words[start + size - 1] == last
        )
    )


def _varints(data: bytes) -> list[int]:
    """SQLite's variable-length integers (big-endian, 7 bits a byte), as FTS5 stores them."""
    values, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
    return values


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
