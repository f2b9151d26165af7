"""Ranking a search's newest matches best first: ``ts_rank`` on PostgreSQL, FTS5's bm25
formula on SQLite."""

import math
from collections.abc import Sequence

from django.db import connections
from django.db.models import QuerySet

from errors.search.filtering import RowId
from errors.search.fts_index import FTS_TABLE, fts_totals
from errors.search.language import WORD, SearchTerm, parse_search, to_fts5_query, to_tsquery

RANK_WINDOW = 200


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
