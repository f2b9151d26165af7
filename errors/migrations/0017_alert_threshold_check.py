"""PostgreSQL: the threshold rules' check of an occurrence as a PL/pgSQL function.

An occurrence watched by threshold rules is counted in its group's minute and checked
against each rule's window inside its one round trip (errors.single_trip). As one statement
of literal SQL (an upsert, the windows' sums, a "not fired within the window" probe per
rule) PostgreSQL parsed and planned it anew for every occurrence, which cost more than
running it; a PL/pgSQL function's statements are planned once per connection.

The function counts the occurrence, then sums the longest window once: a rule whose
threshold that sum does not reach cannot be due (a shorter window sums fewer of the same
minutes), so in the common case the windows cost one index range scan. Only a rule the
longest window reaches gets its own window summed and its last threshold alert looked up.
When a rule is due the function raises ``refusal`` (the caller's marker, with the group and
the minute's count appended): the caller rolls the message back and takes the full path,
which counts again and records the alert. Otherwise it returns the minute's count.

SQLite has no such function: its threshold check runs from Python (errors.alerts.due).
"""

from django.db import migrations

THRESHOLD_CHECK = {
    "postgresql": [
        """CREATE FUNCTION errors_alert_threshold_check(
        group_key bigint, minute_at timestamptz, occurred timestamptz,
        rule_ids bigint[], counts bigint[], windows integer[], refusal text
    ) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        counted integer;
        longest integer := 0;
        in_longest bigint;
        in_window bigint;
    BEGIN
        INSERT INTO errors_alert_group_minute AS m (group_id, minute, count)
        VALUES (group_key, minute_at, 1)
        ON CONFLICT (group_id, minute) DO UPDATE SET count = m.count + 1
        RETURNING m.count INTO counted;
        FOR i IN 1 .. cardinality(rule_ids) LOOP
            longest := GREATEST(longest, windows[i]);
        END LOOP;
        SELECT counted + COALESCE(SUM(m.count), 0) INTO in_longest
        FROM errors_alert_group_minute AS m
        WHERE m.group_id = group_key AND m.minute <> minute_at
          AND m.minute >= minute_at - make_interval(mins => longest - 1);
        FOR i IN 1 .. cardinality(rule_ids) LOOP
            CONTINUE WHEN in_longest < counts[i];
            IF windows[i] = longest THEN
                in_window := in_longest;
            ELSE
                SELECT counted + COALESCE(SUM(m.count), 0) INTO in_window
                FROM errors_alert_group_minute AS m
                WHERE m.group_id = group_key AND m.minute <> minute_at
                  AND m.minute >= minute_at - make_interval(mins => windows[i] - 1);
            END IF;
            IF in_window >= counts[i] AND NOT EXISTS (
                SELECT 1 FROM errors_alertdelivery AS d
                WHERE d.group_id = group_key AND d.rule_id = rule_ids[i]
                  AND d.event = 'threshold'
                  AND d.due_at > occurred - make_interval(mins => windows[i])
            ) THEN
                RAISE EXCEPTION '%', refusal || group_key || ', minute ' || counted;
            END IF;
        END LOOP;
        RETURN counted;
    END $$""",
    ],
}

THRESHOLD_CHECK_DROP = {
    "postgresql": [
        "DROP FUNCTION IF EXISTS errors_alert_threshold_check("
        "bigint, timestamptz, timestamptz, bigint[], bigint[], integer[], text)",
    ],
}


def run(statements_by_vendor: dict[str, list[str]]):
    """A RunPython callable executing the statements written for the migrating database's
    vendor (none for a vendor not named)."""

    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0016_fewer_resolved_indexes"),
    ]

    operations = [
        migrations.RunPython(run(THRESHOLD_CHECK), run(THRESHOLD_CHECK_DROP)),
    ]
