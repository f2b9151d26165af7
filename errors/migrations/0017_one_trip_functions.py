"""PostgreSQL: what an occurrence's one round trip (errors.single_trip) runs, as PL/pgSQL
functions.

The one-trip message used to carry the counts and the threshold check as statements of
literal SQL (CTEs of upserts, the group's locked update, the windows' sums, a "not fired
within the window" probe per rule), which PostgreSQL parsed and planned anew for every
occurrence, at more cost than running them. A PL/pgSQL function's statements are planned
on a connection's first call and reused after.

``errors_group_count_occurrence`` counts a stored occurrence in its group's hour, for its
job and user, and on its group, which it locks and bumps only while the group is open and
not muted; it returns the rows stored in the hour so far and the group's count before the
occurrence. When the group needs a decision (resolved, muted, gone) or the hour is past
``hour_limit`` it raises ``refusal`` (the caller's marker, the group and the hour's count
appended): the caller rolls the message back and takes the full path, which decides under
the same lock. Its figures are those of errors.group_writes.Statements.count_and_bump for a
stored occurrence; tests/test_single_trip.py compares the two paths' rows.

``errors_alert_threshold_check`` counts the occurrence in its group's minute, then sums the
longest window once: a rule whose threshold that sum does not reach cannot be due (a shorter
window sums fewer of the same minutes), so in the common case the windows cost one index
range scan. Only a rule the longest window reaches gets its own window summed and its last
threshold alert looked up. When a rule is due the function raises ``refusal`` (with the
group and the minute's count appended); the full path then counts again and records the
alert (errors.alerts.due). Otherwise it returns the minute's count.

SQLite has neither: one writer at a time, in-process, with no round trips to save.
"""

from django.db import migrations

ONE_TRIP_FUNCTIONS = {
    "postgresql": [
        """CREATE FUNCTION errors_group_count_occurrence(
        group_key bigint, hour_at timestamptz, seen timestamptz, level integer, release text,
        job uuid, person uuid, hour_limit integer, refusal text,
        OUT stored integer, OUT old_count bigint
    ) LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO errors_errorgroup_hourly AS h (group_id, hour, count, stored)
        VALUES (group_key, hour_at, 1, 1)
        ON CONFLICT (group_id, hour) DO UPDATE SET count = h.count + 1, stored = h.stored + 1
        RETURNING h.stored INTO stored;
        IF job IS NOT NULL THEN
            INSERT INTO errors_errorgroup_subject AS s (group_id, kind, subject_id, count, last_seen)
            VALUES (group_key, 'job', job, 1, seen)
            ON CONFLICT (kind, subject_id, group_id) DO UPDATE
            SET count = s.count + 1, last_seen = GREATEST(s.last_seen, excluded.last_seen);
        END IF;
        IF person IS NOT NULL THEN
            INSERT INTO errors_errorgroup_subject AS s (group_id, kind, subject_id, count, last_seen)
            VALUES (group_key, 'user', person, 1, seen)
            ON CONFLICT (kind, subject_id, group_id) DO UPDATE
            SET count = s.count + 1, last_seen = GREATEST(s.last_seen, excluded.last_seen);
        END IF;
        UPDATE errors_errorgroup AS g SET count = g.count + 1,
            last_seen = GREATEST(g.last_seen, seen), first_seen = LEAST(g.first_seen, seen),
            severity = GREATEST(g.severity, level),
            last_release = CASE WHEN release = '' THEN g.last_release ELSE release END,
            first_release = CASE WHEN g.first_release = '' THEN release ELSE g.first_release END
        WHERE g.id = group_key AND NOT g.resolved AND NOT g.is_muted
        RETURNING g.count - 1 INTO old_count;
        IF old_count IS NULL OR stored > hour_limit THEN
            RAISE EXCEPTION '%', refusal || group_key || ', hour ' || stored;
        END IF;
    END $$""",
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

ONE_TRIP_FUNCTIONS_DROP = {
    "postgresql": [
        "DROP FUNCTION IF EXISTS errors_group_count_occurrence("
        "bigint, timestamptz, timestamptz, integer, text, uuid, uuid, integer, text)",
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
        migrations.RunPython(run(ONE_TRIP_FUNCTIONS), run(ONE_TRIP_FUNCTIONS_DROP)),
    ]
