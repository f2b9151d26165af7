"""Filtering a queryset by a search, through the backend's index, and the per-query plan
that keeps a common word's first page and a rare word's few rows both fast (RowId on
SQLite, IsIdAmong or the GIN join on PostgreSQL)."""

import json

from django.db import connections
from django.db.models import BooleanField, IntegerField, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL

from errors.counting import COUNT_CAP
from errors.search.fts_index import FTS_TABLE, count_fts_matches, count_fts_rows
from errors.search.language import (
    SearchTerm,
    expand_prefixes,
    parse_search,
    to_fts5_query,
    to_search_query,
    to_tsquery,
)

# An index entry walked costs about 1/50 of a row fetched by rowid (measured at 1M rows).
ROWID_LOOKUP_COST = 50
PLAN_COUNT_CAP = 50_000
BROAD_PG_SEARCH = COUNT_CAP  # the lists' count cap: a narrow search's count comes free
SURELY_BROAD_PG_SEARCH = BROAD_PG_SEARCH


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
        return queryset.filter(search_document__document=to_search_query(terms))
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
