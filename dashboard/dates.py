"""Moments as staff read them: "2 Nov 14:00" in the site's time zone, the year only when it
is not this one, and the full date and zone for a hover title. The URL keeps the exact ISO
8601 value; only what is shown is shortened."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def parse_moment(text: str) -> datetime.datetime | None:
    """An ISO 8601 value as the filters read it (naive means the site's time zone), or None
    when it is not one."""
    try:
        moment = parse_datetime(text.strip())
    except (ValueError, OverflowError):
        return None
    if moment is None:
        return None
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        timezone.localtime(moment)  # a moment shown in the site's zone must exist there
    except (ValueError, OverflowError):
        return None
    return moment


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _is_end_of_minute(moment: datetime.datetime) -> bool:
    """A range's inclusive end (14:59:59.999999) reads as the minute it ends in."""
    return moment.second == 59 and moment.microsecond >= 999_000


def format_moment(moment: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """ "2 Nov 14:00", "2 Nov 2025 14:00" outside this year, seconds only when the moment
    has them."""
    local = _local(moment)
    this_year = _local(now or timezone.now()).year
    day = f"{local.day} {local:%b}" + ("" if local.year == this_year else f" {local.year}")
    if (local.second or local.microsecond) and not _is_end_of_minute(local):
        return f"{day} {local:%H:%M:%S}"
    return f"{day} {local:%H:%M}"


def format_minute(moment: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """ "2 Nov 14:07": a list row's time, to the minute (the detail page has the rest)."""
    local = _local(moment)
    return f"{format_day(local.date(), now=now)} {local:%H:%M}"


def format_day(day: datetime.date, *, now: datetime.datetime | None = None) -> str:
    """ "2 Nov", with the year outside this one."""
    this_year = _local(now or timezone.now()).year
    return f"{day.day} {day:%b}" + ("" if day.year == this_year else f" {day.year}")


def format_moment_in_full(moment: datetime.datetime) -> str:
    """ "Mon 2 Nov 2026 14:00:00 UTC": what a hover title says."""
    local = _local(moment)
    zone = local.tzname() or ""
    return f"{local:%a} {local.day} {local:%b} {local.year} {local:%H:%M:%S} {zone}".strip()
