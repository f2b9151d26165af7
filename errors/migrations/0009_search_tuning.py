"""Every word in the PostgreSQL search index, for prefix searches.

A prefix (``dupl*``) makes GIN read the row lists of every word it starts, whole, into a
bitmap before it can AND them: 30-40 ms at a million errors for two common prefixes, where
the same search over the whole words takes 5. So the words are kept in a table of their own
(a row per distinct word, added by a trigger on the search side table, never removed: a
word no error holds any more only adds a term that matches nothing), and a prefix of at
most errors.search.MAX_PREFIX_WORDS words becomes those words ORed.

SQLite needs nothing: FTS5 reads prefixes from its own term index.
"""

from django.db import migrations

from errors.vendor_sql import run

POSTGRESQL_FORWARD = [
    # "C" collation: a prefix is a range of the primary key's btree (LIKE 'dupl%').
    """CREATE TABLE errors_apperror_search_word (word text COLLATE "C" PRIMARY KEY)""",
    """CREATE FUNCTION errors_apperror_search_word_write() RETURNS trigger
        LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO errors_apperror_search_word (word)
        SELECT unnest(tsvector_to_array(NEW.document))
        ON CONFLICT (word) DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER errors_apperror_search_word_insert
        AFTER INSERT OR UPDATE OF document ON errors_apperror_search
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_search_word_write()""",
    """INSERT INTO errors_apperror_search_word (word)
        SELECT DISTINCT unnest(tsvector_to_array(document)) FROM errors_apperror_search
        ON CONFLICT (word) DO NOTHING""",
    "ANALYZE errors_apperror_search_word",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_search_word_insert ON errors_apperror_search",
    "DROP FUNCTION IF EXISTS errors_apperror_search_word_write()",
    "DROP TABLE IF EXISTS errors_apperror_search_word",
]


class Migration(migrations.Migration):
    dependencies = [("errors", "0007_list_tuning")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRESQL_FORWARD}), run({"postgresql": POSTGRESQL_BACKWARD})
        )
    ]
