"""Full-text search over errors: the message, the exception type and the values of the JSON
context (not the trace), through the index each backend keeps (migration
errors/migrations/0001_squashed_0011_errors.py).

A search is a user's text. It is read as words, "quoted phrases" and prefix* words, all of
which must match; everything else (operators, quotes left open, punctuation) is only a word
separator, so no input can produce a query the database refuses.

One module a concern: ``language`` (reading the text, writing each index's query),
``fts_index`` (what SQLite's index counts by itself), ``filtering`` (a queryset narrowed to
the matches, with its plan), ``counting``, ``ranking`` and ``highlighting``.
"""

from errors.search.counting import count_search_matches
from errors.search.filtering import MATCHING_IDS_SQL, search_app_errors
from errors.search.highlighting import HIGHLIGHT_START, HIGHLIGHT_STOP, highlight_messages
from errors.search.language import (
    SearchTerm,
    expand_prefixes,
    parse_search,
    to_fts5_query,
    to_tsquery,
)
from errors.search.ranking import RANK_WINDOW, rank_newest_matches

__all__ = [
    "HIGHLIGHT_START",
    "HIGHLIGHT_STOP",
    "MATCHING_IDS_SQL",
    "RANK_WINDOW",
    "SearchTerm",
    "count_search_matches",
    "expand_prefixes",
    "highlight_messages",
    "parse_search",
    "rank_newest_matches",
    "search_app_errors",
    "to_fts5_query",
    "to_tsquery",
]
