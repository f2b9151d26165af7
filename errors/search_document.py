"""PostgreSQL's search document for an error, as SQL.

The expression indexes the same text as SQLite's FTS5 table: the message and the exception
type (weight A) and the context's string and number values (weight B), never the trace or
the call stack, with punctuation turned into spaces so both backends split the same words.

Migrations never import this module: they hold its output as literal SQL
(errors/migrations/0001_squashed_0011_errors.py), and tests/test_migrations.py checks that the
text there still equals what this module generates. To change the document, change it here,
write the new function into a new migration (the old text is its reverse) and point that test
at the new migration.
"""

DOCUMENT_EXPRESSION = """setweight(to_tsvector('simple', errors_search_words(message)), 'A')
            || setweight(to_tsvector('simple', errors_search_words(data ->> 'exception_type')), 'A')
            || setweight(to_tsvector('simple', errors_search_words((
                SELECT string_agg(value #>> '{}', ' ')
                FROM jsonb_path_query(
                    CASE WHEN jsonb_typeof(data) = 'object'
                         THEN data - 'trace' - 'stack' - 'exception_type' ELSE data END,
                    'strict $.** ? (@.type() == "string" || @.type() == "number")'
                ) AS value
            ))), 'B')"""


_SIGNATURE = "errors_search_document(message text, data jsonb) RETURNS tsvector"


def plpgsql_function() -> str:
    """The document as a PL/pgSQL function, whose plan a connection keeps after the first
    call (a SQL function with this sub-SELECT cannot be inlined, so a trigger calling it
    planned its body again for every error)."""
    return f"""CREATE OR REPLACE FUNCTION {_SIGNATURE}
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
        RETURN {DOCUMENT_EXPRESSION};
    END $$"""
