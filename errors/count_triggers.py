"""The SQL of the triggers that keep the error totals (per hour and per day) exact on every
insert, update and delete of an error.

Both tables are kept the same way and differ only in their period column and how a
timestamp is cut to it, so their triggers are written once, here. Migrations never import
this module: they hold its output as literal SQL (errors/migrations/0001_squashed_0011_errors.py),
and tests/test_migrations.py checks that the text there still equals what this module
generates. To change the triggers, change them here, write the new output into a new
migration (the old text is its reverse) and point that test at the new migration.

A mass change (a group resolve closing thousands of rows) would fire the update triggers once
a row, each moving one error between the same few totals rows: thousands of upserts of one
row per batch (on PostgreSQL, a new row version each time). So the update triggers stand
aside while the changing transaction says so (SQLite: a row in ``BULK_CHANGE_TABLE``, which
no other writer can see until it commits, and it never does; PostgreSQL: the transaction's
``app_errors.bulk_change`` setting), and that transaction moves the batch's totals itself,
with one statement per table (``bulk_adjustment``). Migration
0014_bulk_change_totals holds this as literal SQL.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class CountTable:
    """One totals table: ``errors_apperror_<name>``, keyed by ``period`` (a column), app,
    severity and resolved. The period expressions take the row (``NEW``, ``OLD``) as
    ``{row}``."""

    name: str
    period: str
    sqlite_period: str
    postgresql_period: str

    @property
    def table(self) -> str:
        return f"errors_apperror_{self.name}"

    @property
    def key(self) -> str:
        return f"({self.period}, app, severity, resolved, shard)"


HOURLY = CountTable(
    name="hourly",
    period="hour",
    sqlite_period="strftime('%Y-%m-%d %H:00:00', {row}.timestamp)",
    postgresql_period="date_trunc('hour', {row}.timestamp, 'UTC')",
)
DAILY = CountTable(
    name="daily",
    period="day",
    sqlite_period="date({row}.timestamp)",
    postgresql_period="({row}.timestamp AT TIME ZONE 'UTC')::date",
)


def sqlite_add_and_remove(counts: CountTable, shard: str) -> tuple[str, str]:
    """The trigger bodies that add one error to its totals row (NEW) and remove one (OLD)."""
    new_period, old_period = (counts.sqlite_period.format(row=row) for row in ("NEW", "OLD"))
    add = f"""
    INSERT INTO {counts.table} ({counts.period}, app, severity, resolved, shard, total)
    VALUES ({new_period}, coalesce(NEW.app, ''), NEW.severity, NEW.resolved, {shard}, 1)
    ON CONFLICT {counts.key} DO UPDATE SET total = total + 1;
"""
    remove = f"""
    UPDATE {counts.table} SET total = total - 1
    WHERE {counts.period} = {old_period} AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved AND shard = {shard};
"""
    return add, remove


def sqlite_triggers(counts: CountTable, shard: str) -> list[str]:
    """Add one on insert, remove one on delete, move one when an update changes the key (the
    triggers as 0001_squashed_0011_errors made them; 0014 replaced the update one).

    ``shard`` is a constant: SQLite has one writer at a time, so it keeps a single shard, and
    a removal updates the row an insert made: deleting every table's rows (as a test
    database's flush does) never leaves negative totals behind."""
    add, remove = sqlite_add_and_remove(counts, shard)
    prefix = f"CREATE TRIGGER {counts.table}"
    return [
        f"{prefix}_insert AFTER INSERT ON errors_apperror BEGIN {add} END",
        f"{prefix}_delete AFTER DELETE ON errors_apperror BEGIN {remove} END",
        sqlite_update_trigger(counts, shard, bulk_aware=False),
    ]


# Holds a row only inside a transaction that moves the totals of its own update itself.
BULK_CHANGE_TABLE = "errors_apperror_bulk_change"
# The PostgreSQL setting (``SET LOCAL``) that says the same for one transaction.
BULK_CHANGE_SETTING = "app_errors.bulk_change"


def sqlite_update_trigger(counts: CountTable, shard: str, *, bulk_aware: bool = True) -> str:
    """Move one error between totals when an update changes its key; ``bulk_aware``, not
    while the updating transaction holds a row in ``BULK_CHANGE_TABLE``."""
    add, remove = sqlite_add_and_remove(counts, shard)
    changed = """OLD.timestamp IS NOT NEW.timestamp OR OLD.app IS NOT NEW.app
          OR OLD.severity IS NOT NEW.severity OR OLD.resolved IS NOT NEW.resolved"""
    if bulk_aware:
        changed = f"({changed})\n          AND NOT EXISTS (SELECT 1 FROM {BULK_CHANGE_TABLE})"
    return f"""CREATE TRIGGER {counts.table}_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror
        WHEN {changed}
        BEGIN {remove} {add} END"""


def sqlite_drop_triggers(counts: CountTable) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {counts.table}_{event}" for event in ("update", "delete", "insert")
    ]


def postgresql_triggers(counts: CountTable, shard: str) -> list[str]:
    """One function for every event; a TRUNCATE of the errors empties the totals too.

    ``shard`` is an SQL expression (``pg_backend_pid() % 8``): concurrent writers add to
    different rows of a key instead of queueing on one row's lock until they commit;
    removals go to the writer's own shard too, so only the sum over the shards is
    meaningful."""
    function = f"{counts.table}_write()"

    def upsert(row: str, step: int) -> str:
        period = counts.postgresql_period.format(row=row)
        return f"""INSERT INTO {counts.table} AS counts
                ({counts.period}, app, severity, resolved, shard, total)
            VALUES ({period}, coalesce({row}.app, ''),
                    {row}.severity, {row}.resolved, {shard}, {step})
            ON CONFLICT {counts.key} DO UPDATE SET total = counts.total + {step};"""

    return [
        f"""CREATE FUNCTION {function} RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            -- DELETE, not TRUNCATE: a TRUNCATE naming both tables (flush) is still running.
            DELETE FROM {counts.table};
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            {upsert("OLD", -1)}
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {upsert("NEW", 1)}
        END IF;
        RETURN NULL;
    END $$""",
        f"""CREATE TRIGGER {counts.table}_insert AFTER INSERT ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION {function}""",
        f"""CREATE TRIGGER {counts.table}_delete AFTER DELETE ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION {function}""",
        postgresql_update_trigger(counts, bulk_aware=False),
        f"""CREATE TRIGGER {counts.table}_truncate AFTER TRUNCATE ON errors_apperror
        FOR EACH STATEMENT EXECUTE FUNCTION {function}""",
    ]


def postgresql_drop_triggers(counts: CountTable) -> list[str]:
    return [
        *(
            f"DROP TRIGGER IF EXISTS {counts.table}_{event} ON errors_apperror"
            for event in ("truncate", "update", "delete", "insert")
        ),
        f"DROP FUNCTION IF EXISTS {counts.table}_write()",
    ]


def postgresql_update_trigger(counts: CountTable, *, bulk_aware: bool = True) -> str:
    """Move one error between totals when an update changes its key; ``bulk_aware``, not
    while the updating transaction has set ``BULK_CHANGE_SETTING`` (a WHEN clause may not
    read a table, a setting it may)."""
    changed = """OLD.timestamp IS DISTINCT FROM NEW.timestamp OR OLD.app IS DISTINCT FROM NEW.app
              OR OLD.severity IS DISTINCT FROM NEW.severity
              OR OLD.resolved IS DISTINCT FROM NEW.resolved"""
    if bulk_aware:
        changed = (
            f"({changed})\n              AND current_setting('{BULK_CHANGE_SETTING}', true)"
            " IS DISTINCT FROM 'on'"
        )
    return f"""CREATE TRIGGER {counts.table}_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror FOR EACH ROW
        WHEN ({changed})
        EXECUTE FUNCTION {counts.table}_write()"""


def returned_period(counts: CountTable, vendor: str) -> str:
    """The expression of an updated row's period in this table, for an UPDATE's RETURNING
    (the row is the updated table itself there)."""
    return getattr(counts, f"{vendor}_period").format(row="errors_apperror").replace("%", "%%")


def bulk_adjustment(counts: CountTable, shard: str, keys: int) -> str:
    """One upsert adding a signed total to each of ``keys`` totals rows, named by its
    parameters five at a time (period, app, severity, resolved, total): the part of a mass
    change the update triggers leave to its transaction. A batch's rows are tallied from
    what its UPDATE returned, so the totals cost one statement per table and batch, and the
    multi-KB rows are not read again to find their periods."""
    shard = shard.replace("%", "%%")
    values = ", ".join([f"(%s, %s, %s, %s, {shard}, %s)"] * keys)
    return f"""INSERT INTO {counts.table} AS counts
        ({counts.period}, app, severity, resolved, shard, total)
    VALUES {values}
    ON CONFLICT {counts.key} DO UPDATE SET total = counts.total + excluded.total"""
