"""The error record, the group it belongs to, and its severity scale."""

import logging
import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class Severity(models.IntegerChoices):
    """The ``logging`` levels, so a record's level maps straight onto a row."""

    DEBUG = logging.DEBUG, "Debug"
    INFO = logging.INFO, "Info"
    WARNING = logging.WARNING, "Warning"
    ERROR = logging.ERROR, "Error"
    CRITICAL = logging.CRITICAL, "Critical"


def staff_member() -> models.ForeignKey:
    """A link to a staff member (who resolved, who muted). Staff live in the default
    database and errors may not: no constraint, and no cascade from the staff side
    (errors.signals clears the links when a staff member is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class ExceptionTypeField(models.CharField):
    """``data["exception_type"]`` copied into a column of its own on every save, insert or
    update, whatever path writes the row (``persist_app_error``'s compiled INSERT,
    ``Model.save``, ``bulk_create``): "" when the error has no exception type (or ``data``
    holds a type that is not text), so that NULL keeps meaning "stored before the column
    existed". ``QuerySet.update(data=...)`` runs no Python per row: it must set both. Only
    saving behaves differently from a CharField, so migrations see one."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        data = model_instance.data
        value = data.get("exception_type") if isinstance(data, dict) else None
        value = value[: self.max_length] if isinstance(value, str) else ""
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self) -> tuple:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class AppErrorQuerySet(models.QuerySet):
    def unresolved(self) -> "AppErrorQuerySet":
        return self.filter(resolved=False)

    def resolved(self) -> "AppErrorQuerySet":
        return self.filter(resolved=True)

    def at_least(self, severity: int) -> "AppErrorQuerySet":
        return self.filter(severity__gte=severity)


class AppError(models.Model):
    """One failure an application caught, with where it happened and what it was doing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes: apperror_time_id, apperror_job_time and apperror_user_time
    # start with these columns and serve the same lookups (see
    # errors/migrations/0001_squashed_0011_errors.py).
    timestamp = models.DateTimeField(default=timezone.now)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    # A copy of data["exception_type"], so that lists and the export read it without parsing
    # the multi-KB JSON. NULL only in rows stored before the column existed (PostgreSQL
    # keeps them as they were; SQLite's migration filled it in): read recorded_exception_type.
    exception_type = ExceptionTypeField(max_length=255, null=True, blank=True, editable=False)
    app = models.CharField(max_length=100, null=True, blank=True)
    file = models.CharField(max_length=255, null=True, blank=True)
    function = models.CharField(max_length=255, null=True, blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.ERROR)
    job_id = models.UUIDField(null=True, blank=True)
    user_id = models.UUIDField(null=True, blank=True)
    resolved = models.BooleanField(default=False)
    # Errors may live in their own database, so no FK constraint and no cascade query from
    # Staff's side; errors.signals clears the link when a staff member is deleted (SET_NULL).
    resolved_by = staff_member()
    resolved_timestamp = models.DateTimeField(null=True, blank=True)
    # Every stored error belongs to one group (errors.grouping decides which); null only for
    # rows recorded before groups existed, until group_app_errors has run.
    group = models.ForeignKey(
        "ErrorGroup",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="occurrences",
    )
    # Nullable without a default so that SQLite adds the columns in place: rebuilding the
    # table would drop the triggers that keep the totals and the search index.
    release = models.CharField(max_length=100, null=True, blank=True)
    environment = models.CharField(max_length=100, null=True, blank=True)

    objects = AppErrorQuerySet.as_manager()

    class Meta:
        verbose_name = "application error"
        ordering = ["-timestamp", "-id"]
        # The list pages' queries, one index each (see BENCHMARKS.md): the filter's column,
        # then the list order (timestamp, id), so a page is read in order straight from the
        # index; then the columns the counts and the chart read (severity, app, resolved), so
        # neither touches the multi-KB rows (on SQLite those columns sit behind the data).
        # No index leads with ``resolved``: the unresolved list walks the time index, and
        # each index holding it moves an entry for every error a group resolve closes.
        indexes = [
            models.Index(
                fields=["timestamp", "id", "severity", "app", "resolved"], name="apperror_time_id"
            ),
            models.Index(
                fields=["app", "timestamp", "id", "severity", "resolved"], name="apperror_app_time"
            ),
            models.Index(
                fields=["function", "timestamp", "id", "severity", "app", "resolved"],
                name="apperror_function_time",
            ),
            models.Index(
                fields=["severity", "timestamp", "id", "app", "resolved"],
                name="apperror_severity_time",
            ),
            models.Index(
                fields=["job_id", "timestamp", "id", "severity", "app", "resolved"],
                name="apperror_job_time",
            ),
            models.Index(
                fields=["user_id", "timestamp", "id", "severity", "app", "resolved"],
                name="apperror_user_time",
            ),
            # Sorted by severity (the tie-breaker is the id).
            models.Index(fields=["severity", "id", "resolved"], name="apperror_severity_id"),
            # A group's occurrences, newest first (the group page); and its open (or closed)
            # ones, which a group resolve (unresolve) walks in batches. Not a partial index
            # on NOT resolved: SQLite uses one only for queries that repeat its WHERE text.
            models.Index(fields=["group", "timestamp", "id"], name="apperror_group_time"),
            models.Index(
                fields=["group", "resolved", "timestamp", "id"], name="apperror_group_resolved"
            ),
            # The group list's release and environment filters: does this group have an
            # occurrence in it (one probe a group, not a scan of its occurrences). Partial, so
            # an error without a release or environment costs its write nothing here.
            models.Index(
                fields=["release", "group"],
                name="apperror_release_group",
                condition=models.Q(release__isnull=False),
            ),
            models.Index(
                fields=["environment", "group"],
                name="apperror_environment_group",
                condition=models.Q(environment__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message[:80]}"

    @property
    def trace(self) -> str:
        return (self.data or {}).get("trace", "") if isinstance(self.data, dict) else ""

    @property
    def recorded_exception_type(self) -> str:
        """The exception type as recorded: the column, or for a row stored before the
        column existed (NULL there, PostgreSQL only), the one in ``data``."""
        if self.exception_type is not None:
            return self.exception_type
        return (self.data or {}).get("exception_type", "") if isinstance(self.data, dict) else ""

    def mark_resolved(self, staff) -> None:
        """Set all three resolution fields together and save only them."""
        self.resolved = True
        self.resolved_by = staff
        self.resolved_timestamp = timezone.now()
        self.save(update_fields=["resolved", "resolved_by", "resolved_timestamp"])

    def mark_unresolved(self) -> None:
        """Clear all three resolution fields together and save only them."""
        self.resolved = False
        self.resolved_by = None
        self.resolved_timestamp = None
        self.save(update_fields=["resolved", "resolved_by", "resolved_timestamp"])


class AppErrorCount(models.Model):
    """How many errors of one app and severity, resolved or not, were recorded in one
    period (the subclass's key column). Database triggers (errors/count_triggers.py) keep it
    exact on every insert, update and delete of an error. An error without an app counts
    under ``""``.

    A key has a row per ``shard`` (errors/migrations/0001_squashed_0011_errors.py): on
    PostgreSQL each connection writes to its own (its backend pid modulo SHARDS), so
    concurrent writers do not queue on one row's lock until commit; SQLite has one writer at
    a time and always writes shard 0. On PostgreSQL a removal subtracts in the writer's
    shard, so a shard's total may be negative: read the SUM over the shards, never one row."""

    SHARDS = 8

    app = models.CharField(max_length=100, blank=True, default="")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    resolved = models.BooleanField()
    shard = models.PositiveSmallIntegerField(default=0)
    total = models.IntegerField(default=0)

    class Meta:
        abstract = True


class AppErrorHourlyCount(AppErrorCount):
    """The totals per UTC hour (errors/migrations/0001_squashed_0011_errors.py): the trend chart
    sums a few thousand of these instead of grouping millions of errors."""

    hour = models.DateTimeField()

    class Meta:
        db_table = "errors_apperror_hourly"
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "app", "severity", "resolved", "shard"],
                name="apperror_hourly_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.app} {self.severity}: {self.total}"


class AppErrorDailyCount(AppErrorCount):
    """The same totals per UTC day (errors/migrations/0001_squashed_0011_errors.py): a 90-day chart
    sums about a hundred of these per app and severity instead of thousands of hourly rows."""

    day = models.DateField()

    class Meta:
        db_table = "errors_apperror_daily"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "app", "severity", "resolved", "shard"],
                name="apperror_daily_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.app} {self.severity}: {self.total}"


class AppErrorSearchDocument(models.Model):
    """PostgreSQL's search index of one error: a tsvector of its message, exception type and
    context values (not its trace), written by a trigger when the error is inserted.

    It is a side table so that resolving an error, an UPDATE of the main row, never rewrites
    the GIN index entry. The table, its index and triggers are created by
    errors/migrations/0001_squashed_0011_errors.py on PostgreSQL only (SQLite gets an FTS5 table
    instead), hence unmanaged.
    """

    error = models.OneToOneField(
        AppError,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = SearchVectorField()

    class Meta:
        managed = False
        db_table = "errors_apperror_search"

    def __str__(self) -> str:
        return f"search document of {self.error_id}"


class ErrorGroup(models.Model):
    """All occurrences of one failure: the unit staff triage. Which group an error joins is
    its fingerprint's (errors.grouping); the figures here are lifetime figures kept on every
    write (errors.group_writes), never counted from the occurrences at read time, so they
    stay true when occurrences are pruned or shed by the storm limit."""

    fingerprint = models.CharField(max_length=64, unique=True)
    grouping_version = models.PositiveSmallIntegerField()
    # What the fingerprint hashed, shown on the group page as why occurrences were grouped.
    fingerprint_parts = models.JSONField(default=list)
    title = models.CharField(max_length=255)
    exception_type = models.CharField(max_length=255, blank=True, default="")
    culprit = models.CharField(max_length=255, blank=True, default="")
    app = models.CharField(max_length=100, blank=True, default="")
    # The highest severity seen.
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.ERROR)
    count = models.BigIntegerField(default=0)
    # Occurrences counted but not stored as rows (the storm limit).
    shed_count = models.BigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    first_release = models.CharField(max_length=100, blank=True, default="")
    last_release = models.CharField(max_length=100, blank=True, default="")
    resolved = models.BooleanField(default=False)
    resolved_by = staff_member()
    resolved_timestamp = models.DateTimeField(null=True, blank=True)
    # Resolved "in the next release": only occurrences from a release first seen after the
    # resolve reopen the group.
    resolved_in_next_release = models.BooleanField(default=False)
    resolved_release = models.CharField(max_length=100, blank=True, default="")
    # Set when an occurrence reopened the group after a resolve; cleared by the next resolve.
    regressed_at = models.DateTimeField(null=True, blank=True)
    # Mute is independent of resolution: a muted group sends no alerts and leaves the
    # default list until it is unmuted, its time passes, or its occurrences run out.
    is_muted = models.BooleanField(default=False)
    muted_until = models.DateTimeField(null=True, blank=True)
    mute_remaining = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "error group"
        ordering = ["-last_seen", "-id"]
        # No index over the figures every occurrence updates (count, last_seen...): with
        # none, PostgreSQL updates the hot row in place (HOT) and a storm leaves no index
        # bloat; the list sorts a few thousand groups in memory.

    def __str__(self) -> str:
        return self.title

    @property
    def is_regressed(self) -> bool:
        return self.regressed_at is not None and not self.resolved

    @property
    def stored_count(self) -> int:
        return self.count - self.shed_count


class ActivityKind(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    UNRESOLVED = "unresolved", "Unresolved"
    REGRESSED = "regressed", "Regressed"
    MUTED = "muted", "Muted"
    UNMUTED = "unmuted", "Unmuted"
    MERGED = "merged", "Merged"


class ErrorGroupActivity(models.Model):
    """A turning point in a group's life (resolved, regressed, muted...), for its timeline."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    who = staff_member()
    when = models.DateTimeField(default=timezone.now)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "error group activity"
        ordering = ["-when", "-id"]
        indexes = [models.Index(fields=["group", "when", "id"], name="groupactivity_group_when")]

    def __str__(self) -> str:
        return f"{self.kind} {self.when:%Y-%m-%d %H:%M}"


class ErrorGroupHourlyCount(models.Model):
    """Occurrences of one group per UTC hour, stored or shed: the sparkline, the group's
    trend and the storm limit read these instead of the occurrences."""

    group = models.ForeignKey(
        ErrorGroup, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    hour = models.DateTimeField()
    count = models.IntegerField(default=0)
    # Rows stored this hour; the storm limit compares it with GROUP_ROWS_PER_HOUR.
    stored = models.IntegerField(default=0)

    class Meta:
        db_table = "errors_errorgroup_hourly"
        constraints = [
            models.UniqueConstraint(fields=["group", "hour"], name="errorgroup_hourly_key")
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.hour:%Y-%m-%d %H:00}: {self.count}"


class SubjectKind(models.TextChoices):
    JOB = "job", "Job"
    USER = "user", "User"


class ErrorGroupSubject(models.Model):
    """How often a group happened to one job or user: the job and user filters of the group
    list and the group page's "affected most" read these, shed occurrences included."""

    group = models.ForeignKey(
        ErrorGroup, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=4, choices=SubjectKind.choices)
    subject_id = models.UUIDField()
    count = models.BigIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        db_table = "errors_errorgroup_subject"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_id", "group"], name="errorgroup_subject_key"
            )
        ]
        # Not over count, which every occurrence updates (see ErrorGroup.Meta).
        indexes = [models.Index(fields=["group", "kind"], name="errorgroup_subject_top")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id}: {self.count}"


class ErrorRelease(models.Model):
    """Every release an error was recorded in, and when it was first seen: "resolved in the
    next release" compares an occurrence's release with the ones seen before the resolve."""

    version = models.CharField(max_length=100, unique=True)
    first_seen = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.version


# Alert rules and their outbox live in errors/alerts/ and are models of this app.
from errors.alerts.models import AlertDelivery, AlertGroupMinute, AlertRule  # noqa: E402, F401
