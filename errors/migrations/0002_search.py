"""Full-text search indexes, one per backend, kept in step with errors by triggers.

SQLite: an FTS5 table whose rowid is the error row's implicit rowid (the primary key is a
UUID), holding the message, the exception type and the context values.
PostgreSQL: a side table of tsvectors with a GIN index, written once when an error is
inserted, so resolving an error (an UPDATE of the main row) never touches the index.

Both index the same text, never the multi-KB trace or call stack, and both split words on
punctuation the same way, so a search finds the same rows on either backend.
"""

import django.contrib.postgres.search
from django.db import migrations, models

from errors.search_document import sql_function
from errors.vendor_sql import run

SQLITE_CONTEXT_TEXT = """(
    SELECT group_concat(value, ' ') FROM json_tree({row}.data)
    WHERE type IN ('text', 'integer', 'real')
      AND fullkey NOT IN ('$.trace', '$.stack', '$.exception_type')
)"""
SQLITE_INSERT = f"""
    INSERT INTO errors_apperror_fts (rowid, message, exception_type, context)
    VALUES (NEW.rowid, NEW.message, json_extract(NEW.data, '$.exception_type'),
            {SQLITE_CONTEXT_TEXT.format(row="NEW")});
"""
SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE errors_apperror_fts USING fts5(
        message, exception_type, context, tokenize = 'unicode61 remove_diacritics 0'
    )""",
    f"""CREATE TRIGGER errors_apperror_fts_insert AFTER INSERT ON errors_apperror BEGIN
        {SQLITE_INSERT}
    END""",
    """CREATE TRIGGER errors_apperror_fts_delete AFTER DELETE ON errors_apperror BEGIN
        DELETE FROM errors_apperror_fts WHERE rowid = OLD.rowid;
    END""",
    f"""CREATE TRIGGER errors_apperror_fts_update AFTER UPDATE OF message, data ON errors_apperror
    BEGIN
        DELETE FROM errors_apperror_fts WHERE rowid = OLD.rowid;
        {SQLITE_INSERT}
    END""",
    f"""INSERT INTO errors_apperror_fts (rowid, message, exception_type, context)
        SELECT rowid, message, json_extract(data, '$.exception_type'),
               {SQLITE_CONTEXT_TEXT.format(row="errors_apperror")}
        FROM errors_apperror""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_fts_update",
    "DROP TRIGGER IF EXISTS errors_apperror_fts_delete",
    "DROP TRIGGER IF EXISTS errors_apperror_fts_insert",
    "DROP TABLE IF EXISTS errors_apperror_fts",
]

POSTGRESQL_FORWARD = [
    # The default parser reads "builtins.ValueError" as one host name and "a/b.py" as one
    # file name; FTS5 reads words. Punctuation becomes a space first, so both see words.
    """CREATE FUNCTION errors_search_words(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT regexp_replace(coalesce($1, ''), '[[:punct:]]+', ' ', 'g') $$""",
    sql_function(),
    """CREATE TABLE errors_apperror_search (
        error_id uuid PRIMARY KEY,
        document tsvector NOT NULL
    )""",
    """CREATE INDEX errors_apperror_search_document
        ON errors_apperror_search USING gin (document)""",
    """CREATE FUNCTION errors_apperror_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM errors_apperror_search WHERE error_id = OLD.id;
        ELSIF TG_OP = 'TRUNCATE' THEN
            TRUNCATE errors_apperror_search;
        ELSE
            INSERT INTO errors_apperror_search (error_id, document)
            VALUES (NEW.id, errors_search_document(NEW.message, NEW.data))
            ON CONFLICT (error_id) DO UPDATE SET document = EXCLUDED.document;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER errors_apperror_search_insert AFTER INSERT ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_search_write()""",
    # Resolving updates other columns: this trigger does not fire, the index is not touched.
    """CREATE TRIGGER errors_apperror_search_update AFTER UPDATE OF message, data
        ON errors_apperror FOR EACH ROW
        WHEN (OLD.message IS DISTINCT FROM NEW.message OR OLD.data IS DISTINCT FROM NEW.data)
        EXECUTE FUNCTION errors_apperror_search_write()""",
    """CREATE TRIGGER errors_apperror_search_delete AFTER DELETE ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_search_write()""",
    """CREATE TRIGGER errors_apperror_search_truncate AFTER TRUNCATE ON errors_apperror
        FOR EACH STATEMENT EXECUTE FUNCTION errors_apperror_search_write()""",
    """INSERT INTO errors_apperror_search (error_id, document)
        SELECT id, errors_search_document(message, data) FROM errors_apperror""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_search_truncate ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_search_delete ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_search_update ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_search_insert ON errors_apperror",
    "DROP FUNCTION IF EXISTS errors_apperror_search_write()",
    "DROP TABLE IF EXISTS errors_apperror_search",
    "DROP FUNCTION IF EXISTS errors_search_document(text, jsonb)",
    "DROP FUNCTION IF EXISTS errors_search_words(text)",
]


class Migration(migrations.Migration):
    dependencies = [("errors", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
        migrations.CreateModel(
            name="AppErrorSearchDocument",
            fields=[
                (
                    "error",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="errors.apperror",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={"db_table": "errors_apperror_search", "managed": False},
        ),
    ]
