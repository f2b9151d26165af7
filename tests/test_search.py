import pytest
from django.db import connections
from rest_framework.test import APIClient

from errors.models import AppError
from errors.routers import errors_alias
from errors.search import SearchTerm, parse_search, search_app_errors, to_fts5_query, to_tsquery
from errors.selectors import (
    filter_app_errors,
    highlight_app_error_messages,
    list_app_errors,
    list_ranked_app_errors,
)
from errors.services import persist_app_error, resolve_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


class InvoiceRejected(Exception):
    pass


def raise_and_record():
    try:
        raise RuntimeError("plain failure")  # quokkaword appears only in the trace
    except RuntimeError as exc:
        return persist_app_error(exc, app="xero")


def found(text: str) -> set[str]:
    return set(search_app_errors(AppError.objects.all(), text).values_list("message", flat=True))


def test_parse_reads_words_phrases_and_prefixes():
    assert parse_search('Push "invoice failed" xer* INV-7') == [
        SearchTerm(("push",)),
        SearchTerm(("invoice", "failed")),
        SearchTerm(("xer",), is_prefix=True),
        SearchTerm(("inv", "7")),
    ]


@pytest.mark.parametrize(
    "text",
    ['"', '""', "'", "*", "AND OR NOT", "NEAR(a b)", "col:term", "^x", "a - b", "(", ")",
     '"open quote', "\x00", "🙂", "a" * 5000, "word " * 2000, "%_\\", "; DROP TABLE x"],
)  # fmt: skip
def test_any_user_text_is_a_valid_query(text):
    AppErrorFactory(message="the quick brown fox")
    terms = parse_search(text)
    assert len(terms) <= 16
    # Rendering never lets syntax through: only quoted letters and digits.
    assert all(word.isalnum() for term in terms for word in term.words)
    list(search_app_errors(AppError.objects.all(), text))
    response = api_client().get("/api/app-errors/", {"search": text.replace("\x00", "")})
    assert response.status_code == 200


def test_rendered_queries_quote_every_word():
    terms = parse_search('a "b c" d*')
    assert to_fts5_query(terms) == '"a" "b c" "d"*'
    assert to_tsquery(terms) == "('a') & ('b' <-> 'c') & ('d':*)"


def test_finds_words_in_message_exception_type_and_context_values():
    AppErrorFactory(
        message="Xero refused the invoice",
        exception=InvoiceRejected,
        context={"invoice": "INV-7781", "amount": 1250},
    )
    AppErrorFactory(message="Database went away", context={"path": "/reports/weekly"})
    assert found("refused") == {"Xero refused the invoice"}
    assert found("InvoiceRejected") == {"Xero refused the invoice"}
    assert found("INV-7781") == {"Xero refused the invoice"}
    assert found("1250") == {"Xero refused the invoice"}
    assert found("weekly") == {"Database went away"}
    assert found("XERO invoice") == {"Xero refused the invoice"}  # case-insensitive, ANDed
    assert found("xero weekly") == set()


def test_context_keys_and_the_trace_are_not_indexed():
    raise_and_record()
    AppErrorFactory(message="keyed", context={"invoice": "INV-1"})
    assert found("quokkaword") == set()
    assert found("raise_and_record") == set()
    assert found("invoice") == set()  # a key, not a value
    assert found("plain failure") == {"plain failure"}


def test_phrases_and_prefixes():
    AppErrorFactory(message="push invoice failed")
    AppErrorFactory(message="invoice push failed")
    assert found('"push invoice"') == {"push invoice failed"}
    assert found("push invoice") == {"push invoice failed", "invoice push failed"}
    assert found("invo*") == {"push invoice failed", "invoice push failed"}
    assert found("invo") == set()
    assert found('"push invo"*') == set()  # a prefix applies to bare words only


def test_punctuation_joined_words_match_as_phrases():
    AppErrorFactory(
        message="Calling xero.push_invoice failed", context={"path": "errors/services.py"}
    )
    assert found("push_invoice") == {"Calling xero.push_invoice failed"}
    assert found("xero.push_invoice") == {"Calling xero.push_invoice failed"}
    assert found("services") == {"Calling xero.push_invoice failed"}
    assert found("invoice_push") == set()


def test_unicode_words():
    AppErrorFactory(message="Zahlung für Müller fehlgeschlagen")
    AppErrorFactory(message="支払い 失敗")
    assert found("müller") == {"Zahlung für Müller fehlgeschlagen"}
    assert found("MÜLLER") == {"Zahlung für Müller fehlgeschlagen"}
    assert found("失敗") == {"支払い 失敗"}


def test_blank_text_filters_nothing_and_wordless_text_matches_nothing():
    AppErrorFactory(message="one")
    AppErrorFactory(message="two")
    assert found("   ") == {"one", "two"}
    assert found("!!! ...") == set()


def test_results_are_newest_first_or_best_match_first_when_ranked(staff):
    strong = AppErrorFactory(message="timeout timeout timeout")
    weak = AppErrorFactory(message="timeout talking to the bank feed service once more")
    filterset = filter_app_errors({"search": "timeout"})
    assert filterset.is_valid()
    assert [e.pk for e in list_app_errors(filterset)] == [weak.pk, strong.pk]
    assert [e.pk for e in list_ranked_app_errors(filterset)] == [strong.pk, weak.pk]
    client = api_client(staff)
    ranked = client.get("/api/app-errors/", {"search": "timeout", "rank": "true"}).json()
    assert [row["id"] for row in ranked["results"]] == [str(strong.pk), str(weak.pk)]
    bad = client.get("/api/app-errors/", {"search": "timeout", "rank": "maybe"})
    assert bad.status_code == 400 and "rank" in bad.json()


def test_index_follows_updates_and_deletes_but_not_resolution(staff):
    error = AppErrorFactory(message="original words")
    resolve_app_error(error=error, by=staff)
    assert found("original") == {"original words"}
    error.message = "replacement text"
    error.save()
    assert found("original") == set() and found("replacement") == {"replacement text"}
    error.delete()
    assert found("replacement") == set()


def test_resolving_does_not_rewrite_the_postgresql_index_row(staff):
    connection = connections[errors_alias()]
    if connection.vendor != "postgresql":
        # SQLite: the FTS5 triggers fire only on UPDATE OF message, data.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'errors_apperror_fts_update'"
            )
            assert "UPDATE OF message, data" in cursor.fetchone()[0]
        return
    error = AppErrorFactory(message="stable words")

    def row_version():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT xmin::text FROM errors_apperror_search WHERE error_id = %s", [error.pk]
            )
            return cursor.fetchone()[0]

    before = row_version()
    resolve_app_error(error=error, by=staff)
    error.mark_unresolved()
    error.save()  # a full save rewrites every column, with the same message and data
    assert row_version() == before


def test_search_and_its_count_use_the_index():
    from errors.search import MATCHING_IDS_SQL, count_search_matches

    for index in range(30):
        AppErrorFactory(message=f"filler message {index}")
    AppErrorFactory(message="needle in the haystack")
    queryset = search_app_errors(AppError.objects.all(), "needle")
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The id lookup a search starts with (and counts with): the GIN index, even on a
            # table this small once sequential scans are off.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {MATCHING_IDS_SQL}", ["'needle'", 5001])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "errors_apperror_search_document" in plan  # the GIN index
        else:
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and "errors_apperror_fts" in plan
    assert [error.message for error in queryset] == ["needle in the haystack"]
    assert count_search_matches(queryset, "needle", cap=10) == (1, True)


def test_highlights_cut_messages_into_matched_words_and_plain_text():
    error = AppErrorFactory(message="<b>Refused</b> invoice for refused payment")
    context_only = AppErrorFactory(message="nothing here", context={"note": "refused"})
    highlights = highlight_app_error_messages([error, context_only], "refused")
    assert set(highlights) == {error.pk}
    assert highlights[error.pk] == [
        ("<b>", False),
        ("Refused", True),
        ("</b> invoice for ", False),
        ("refused", True),
        (" payment", False),
    ]


def test_dashboard_filter_and_api_use_the_same_search(staff):
    AppErrorFactory(message="Xero refused the invoice")
    AppErrorFactory(message="Database went away")
    filterset = filter_app_errors({"search": "refused"})
    assert filterset.is_valid()
    assert [e.message for e in list_app_errors(filterset)] == ["Xero refused the invoice"]
    body = api_client(staff).get("/api/app-errors/", {"search": '"refused the"'}).json()
    assert body["count"] == 1 and body["results"][0]["message"] == "Xero refused the invoice"


def api_client(user=None) -> APIClient:
    from django.contrib.auth import get_user_model

    client = APIClient()
    client.force_authenticate(
        user or get_user_model().objects.create_user(username="searcher", is_staff=True)
    )
    return client


def test_search_inside_a_subquery_keeps_to_its_own_rows(staff):
    match, other = AppErrorFactory(message="needle here"), AppErrorFactory(message="nothing")
    searched = search_app_errors(AppError.objects.all(), "needle")
    outer = AppError.objects.filter(pk__in=searched.values("pk"))
    assert list(outer.values_list("message", flat=True)) == ["needle here"]
    resolved = api_client(staff).post("/api/app-errors/bulk_resolve/?search=needle", {})
    assert resolved.json() == {"resolved": 1}
    match.refresh_from_db(), other.refresh_from_db()
    assert match.resolved and not other.resolved


def test_sqlite_walks_the_time_index_only_to_find_a_few_of_many_matches(monkeypatch):
    import errors.search.filtering

    for index in range(4):
        AppErrorFactory(message=f"broad word {index}")
    AppErrorFactory(message="narrow broad")
    if connections[errors_alias()].vendor != "sqlite":
        pytest.skip("SQLite's plan choice")
    monkeypatch.setattr(errors.search.filtering, "ROWID_LOOKUP_COST", 1)  # as at a million rows
    broad = search_app_errors(AppError.objects.all(), "broad").order_by("-timestamp")
    narrow = search_app_errors(AppError.objects.all(), "narrow").order_by("-timestamp")
    assert "+" in str(broad[:1].query)  # 5 of 5 rows match, 1 wanted: walk
    assert "+" not in str(broad.query)  # all 5 wanted: fetch them by rowid
    assert "+" not in str(narrow[:1].query)  # 1 of 5 matches: fetch it by rowid
    assert broad.count() == 5 and [e.message for e in broad[:1]] == ["narrow broad"]
    assert [e.message for e in narrow[:1]] == ["narrow broad"]


def test_postgresql_fetches_few_matches_by_id_and_joins_for_many(monkeypatch):
    import errors.search.filtering

    for index in range(4):
        AppErrorFactory(message=f"broad word {index}")
    AppErrorFactory(message="narrow broad")
    if connections[errors_alias()].vendor != "postgresql":
        pytest.skip("PostgreSQL's plan choice")
    monkeypatch.setattr(errors.search.filtering, "BROAD_PG_SEARCH", 2)
    broad = search_app_errors(AppError.objects.all(), "broad")
    narrow = search_app_errors(AppError.objects.all(), "narrow")
    assert "@@" in str(broad.query) and "ANY(" not in str(broad.query)
    assert "ANY(" in str(narrow.query) and "@@" not in str(narrow.query)
    assert broad.count() == 5 and [e.message for e in narrow] == ["narrow broad"]
    # The planner's estimate alone sends a single word down the join; never several words,
    # whose estimate is a product of guesses.
    monkeypatch.setattr(errors.search.filtering, "BROAD_PG_SEARCH", 100)
    monkeypatch.setattr(errors.search.filtering, "SURELY_BROAD_PG_SEARCH", 0)
    assert "@@" in str(search_app_errors(AppError.objects.all(), "broad").query)
    two_words = search_app_errors(AppError.objects.all(), "broad word")
    assert "ANY(" in str(two_words.query) and two_words.count() == 4


def test_ranking_reorders_only_the_newest_matches():
    from errors.selectors import RankedAppErrors, list_app_errors

    oldest = AppErrorFactory(message="timeout timeout timeout timeout")
    older = AppErrorFactory(message="timeout once in a long message about the bank feed service")
    newer = AppErrorFactory(message="timeout once more in a long message about the bank feed")
    newest = AppErrorFactory(message="timeout timeout")
    filterset = filter_app_errors({"search": "timeout"})
    assert filterset.is_valid()
    ranked = RankedAppErrors(list_app_errors(filterset), "timeout", window=2)
    # The newest two, best first; then the rest newest first, every row once.
    assert [e.pk for e in ranked] == [newest.pk, newer.pk, older.pk, oldest.pk]
    assert [e.pk for e in ranked[1:3]] == [newer.pk, older.pk]
    assert ranked.count() == 4
    # The whole list fits the default window: ranked whole.
    body = api_client().get("/api/app-errors/", {"search": "timeout", "rank": "true"}).json()
    assert [row["id"] for row in body["results"]][:2] == [str(oldest.pk), str(newest.pk)]


def test_ranking_prefers_more_occurrences_and_shorter_texts():
    longer = AppErrorFactory(
        message="timeout talking to the bank feed service, timeout again later on"
    )
    shorter = AppErrorFactory(message="timeout twice: timeout")
    once = AppErrorFactory(message="one timeout in a message")
    other = AppErrorFactory(message="unrelated")
    filterset = filter_app_errors({"search": "timeout"})
    assert filterset.is_valid()
    assert [e.pk for e in list_ranked_app_errors(filterset)] == [shorter.pk, longer.pk, once.pk]
    assert other.pk not in {e.pk for e in list_ranked_app_errors(filterset)}


def test_search_count_comes_from_the_index_and_agrees_with_the_rows():
    from errors.search import count_search_matches

    for index in range(6):
        AppErrorFactory(
            message=f"payroll export {index}", context={"note": "payroll"} if index % 2 else {}
        )
    AppErrorFactory(message="nothing")
    for text, expected in (
        ("payroll", 6),
        ("payroll export", 6),
        ("pay*", 6),
        ('"export payroll"', 0),
    ):
        searched = search_app_errors(AppError.objects.all(), text)
        assert searched.count() == expected
        assert count_search_matches(searched, text, cap=100) == (expected, True)
        assert count_search_matches(searched, text, cap=4) == (min(expected, 4), expected <= 4)


def test_postgresql_prefixes_become_the_indexed_words_they_start(monkeypatch):
    import errors.search.language
    from errors.search import expand_prefixes

    alias = errors_alias()
    if connections[alias].vendor != "postgresql":
        pytest.skip("SQLite's FTS5 reads prefixes from its own index")
    AppErrorFactory(message="duplicate key on timesheet")
    error = AppErrorFactory(message="nothing to see")
    error.message = "duplicated row in timesheets"
    error.save()  # an edited message adds its words too
    expanded = expand_prefixes(alias, parse_search("dupl* timesh*"))
    assert [term.completions for term in expanded] == [
        ("duplicate", "duplicated"),
        ("timesheet", "timesheets"),
    ]
    assert to_tsquery(expanded) == "(('duplicate' | 'duplicated')) & (('timesheet' | 'timesheets'))"
    assert found("dupl* timesh*") == {"duplicate key on timesheet", "duplicated row in timesheets"}
    assert expand_prefixes(alias, parse_search("zzq*")) is None
    assert found("zzq*") == set() and found("dupl* zzq*") == set()
    # Too many words: kept a prefix.
    monkeypatch.setattr(errors.search.language, "MAX_PREFIX_WORDS", 1)
    assert to_tsquery(expand_prefixes(alias, parse_search("dupl*"))) == "('dupl':*)"
    assert found("dupl*") == {"duplicate key on timesheet", "duplicated row in timesheets"}


def test_postgresql_document_function_computes_the_shared_expression():
    """The PL/pgSQL function the migration installed computes errors/search_document.py's
    expression, and is PL/pgSQL (planned once per connection)."""
    import json

    from errors.search_document import DOCUMENT_EXPRESSION

    connection = connections[errors_alias()]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 table is filled by its own trigger")
    cases = [
        ("Invoice 42 rejected: totals do not match", {"exception_type": "builtins.ValueError"}),
        ("a/b.py failed", {"job": {"number": 7, "tags": ["urgent", "x.y"]}, "trace": "hidden"}),
        ("", ["a list", 3, {"nested": "value"}]),
        ("<b>html</b> & ünïcode", {"stack": "hidden", "exception_type": None, "ok": True}),
    ]
    with connection.cursor() as cursor:
        for message, data in cases:
            params = {"message": message, "data": json.dumps(data)}
            cursor.execute(
                "SELECT errors_search_document(%(message)s, %(data)s::jsonb)::text, "
                f"(SELECT {DOCUMENT_EXPRESSION} FROM (SELECT %(message)s::text AS message, "
                "%(data)s::jsonb AS data) AS row)::text",
                params,
            )
            stored, expected = cursor.fetchone()
            assert stored == expected and (stored != "" or message == "")
            assert "hidden" not in stored  # the trace and the call stack are not indexed
        cursor.execute(
            "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.proname = 'errors_search_document'"
        )
        assert cursor.fetchall() == [("plpgsql",)]
