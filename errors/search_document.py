"""PostgreSQL's search document for an error, as SQL: the one definition the migrations
install, first as a SQL function (0002), then as PL/pgSQL (0011).

The expression indexes the same text as SQLite's FTS5 table: the message and the exception
type (weight A) and the context's string and number values (weight B), never the trace or
the call stack, with punctuation turned into spaces so both backends split the same words.
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


def sql_function(*, replace: bool = False) -> str:
    """The document as a SQL function. Its body holds a sub-SELECT, so PostgreSQL cannot
    inline it: called from a trigger, its body is parsed and planned again on every call."""
    create = "CREATE OR REPLACE" if replace else "CREATE"
    return f"""{create} FUNCTION {_SIGNATURE}
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {DOCUMENT_EXPRESSION}
    $$"""


def plpgsql_function() -> str:
    """The same document as PL/pgSQL, whose plan a connection keeps after the first call."""
    return f"""CREATE OR REPLACE FUNCTION {_SIGNATURE}
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
        RETURN {DOCUMENT_EXPRESSION};
    END $$"""
