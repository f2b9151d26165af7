"""Counting a search's matches in the search index alone, never in the errors table."""

from django.db import connections
from django.db.models import QuerySet

from errors.search.filtering import PLAN_COUNT_CAP, IsIdAmong, RowId
from errors.search.fts_index import count_fts_matches
from errors.search.language import expand_prefixes, parse_search, to_fts5_query, to_tsquery


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
