"""The outage spool: errors the database refuses are kept on disk and stored later, each once."""

import json
import multiprocessing
import socket
import uuid

import pytest
from django.core.management import call_command
from django.db import connections, transaction

from errors.models import AppError, ErrorGroup
from errors.routers import errors_alias
from errors.services import persist_app_error
from errors.spool import append_to_spool, count_pending, replay_spool

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def failing(message: str) -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_errors_database():
    """The errors alias pointed at a database that cannot be reached (PostgreSQL: a closed
    port; SQLite: a file in a missing directory), restored afterwards."""
    connection = connections[errors_alias()]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    else:
        connection.settings_dict["NAME"] = "/nonexistent-app-errors-dir/errors.sqlite3"

    def restore() -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield restore
    restore()


def test_errors_spooled_while_the_database_is_away_are_stored_once_by_replay(
    unreachable_errors_database, isolated_error_spool, caplog
):
    spooled = [persist_app_error(failing(f"Xero push {number} failed")) for number in range(5)]

    assert all(error is not None and error._state.adding for error in spooled)
    assert count_pending(isolated_error_spool) == 5
    assert caplog.text.count("Could not store an application error") == 5
    assert "Xero push 4 failed" in caplog.text
    spool_copy = isolated_error_spool.read_bytes()

    unreachable_errors_database()
    call_command("replay_error_spool")

    stored = {error.pk: error for error in AppError.objects.all()}
    assert set(stored) == {error.pk for error in spooled}
    assert {error.exception_type for error in stored.values()} == {"ValueError"}
    for error in spooled:
        assert stored[error.pk].timestamp == error.timestamp
        assert stored[error.pk].message == error.message
        assert stored[error.pk].data["trace"] == error.data["trace"]
    assert not isolated_error_spool.exists()

    # The same spool replayed again (a copy restored from a backup, a replay that crashed
    # before rewriting the file) inserts nothing twice and is emptied.
    isolated_error_spool.write_bytes(spool_copy)
    result = replay_spool()
    assert (result.stored, result.already_stored, result.kept) == (0, 5, 0)
    assert AppError.objects.count() == 5
    assert not isolated_error_spool.exists()


def test_spooled_errors_join_their_groups_when_replayed_with_their_own_fingerprint(
    unreachable_errors_database, isolated_error_spool
):
    plain = [persist_app_error(failing(f"Xero push {number} failed")) for number in range(3)]
    custom = persist_app_error(failing("Quote 7 stuck"), fingerprint=["quotes", "{{ default }}"])
    assert all(error._state.adding for error in [*plain, custom])

    unreachable_errors_database()
    replay_spool()

    groups = {group.pk: group for group in ErrorGroup.objects.all()}
    stored = {error.pk: AppError.objects.get(pk=error.pk).group_id for error in [*plain, custom]}
    assert len({stored[error.pk] for error in plain}) == 1
    assert groups[stored[plain[0].pk]].count == 3
    assert groups[stored[custom.pk]].fingerprint_parts[0] == "quotes"
    assert sum(group.count for group in groups.values()) == 4


def test_replay_reports_what_it_did(unreachable_errors_database, isolated_error_spool):
    persist_app_error(failing("one"))
    persist_app_error(failing("two"))
    unreachable_errors_database()
    out = call_command_output("replay_error_spool")
    assert "Stored 2 error(s); 0 were already stored; 0 line(s) kept" in out


def test_the_same_exception_spooled_twice_is_one_row(
    unreachable_errors_database, isolated_error_spool
):
    exc = failing("retried job")
    first = persist_app_error(exc)
    second = persist_app_error(exc)
    assert first.pk == second.pk
    assert count_pending(isolated_error_spool) == 2

    unreachable_errors_database()
    replay_spool()
    assert list(AppError.objects.values_list("pk", flat=True)) == [first.pk]
    assert persist_app_error(exc).pk == first.pk  # now found in the database


def test_replay_removes_what_it_stored_and_moves_aside_what_it_cannot_read(
    isolated_error_spool,
):
    good = AppError(message="kept for replay", data={"trace": "t"})
    append_to_spool(good)
    refused = AppError(message="cannot be inserted", severity="not a number")
    append_to_spool(refused)
    with open(isolated_error_spool, "ab") as spool:
        spool.write(b'{"half a line\n')
    lines = isolated_error_spool.read_bytes().splitlines()

    result = replay_spool()

    assert (result.stored, result.failed, result.unreadable, result.kept) == (1, 0, 2, 0)
    assert list(AppError.objects.values_list("pk", flat=True)) == [good.pk]
    assert not isolated_error_spool.exists()
    rejected = isolated_error_spool.with_name("spool.jsonl.rejected").read_bytes()
    assert rejected.splitlines() == lines[1:]


WRONG_LINES = {
    "bad json": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11", "message": ',
    "not utf-8": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11", "message": "\xff\xfe"}',
    "a list": b"[1, 2, 3]",
    "no id": b'{"message": "where from?"}',
    "bad id": b'{"id": "not-a-uuid", "timestamp": "2026-12-02T08:00:00+00:00"}',
    "no timestamp": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11", "message": "m"}',
    "naive timestamp": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11",'
    b' "timestamp": "2026-12-02T08:00:00", "message": "m", "severity": 40}',
    "severity text": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11",'
    b' "timestamp": "2026-12-02T08:00:00+00:00", "message": "m", "severity": "loud"}',
    "data a string": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11",'
    b' "timestamp": "2026-12-02T08:00:00+00:00", "message": "m", "severity": 40,'
    b' "data": "text"}',
    "app a number": b'{"id": "6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11",'
    b' "timestamp": "2026-12-02T08:00:00+00:00", "message": "m", "severity": 40, "app": 7}',
    "deep nesting": b"[" * 100_000,
}


@pytest.mark.parametrize("line", WRONG_LINES.values(), ids=WRONG_LINES.keys())
def test_an_unreadable_line_is_moved_aside_with_its_reason_and_the_rest_is_stored(
    isolated_error_spool, caplog, line
):
    before, after = AppError(message="before", data={}), AppError(message="after", data={})
    append_to_spool(before)
    with open(isolated_error_spool, "ab") as spool:
        spool.write(line + b"\n")
    append_to_spool(after)

    result = replay_spool()

    assert (result.stored, result.unreadable, result.kept) == (2, 1, 0)
    assert set(AppError.objects.values_list("pk", flat=True)) == {before.pk, after.pk}
    assert not isolated_error_spool.exists()
    assert count_pending(isolated_error_spool) == 0
    rejected = isolated_error_spool.with_name("spool.jsonl.rejected")
    assert rejected.read_bytes() == line + b"\n"
    assert "Moved an unreadable line of the error spool" in caplog.text
    assert str(rejected) in caplog.text


def test_unreadable_lines_stay_in_the_spool_when_the_rejected_file_cannot_be_written(
    isolated_error_spool, caplog
):
    isolated_error_spool.with_name("spool.jsonl.rejected").mkdir()  # not a file: cannot append
    good = AppError(message="stored anyway", data={})
    append_to_spool(good)
    with open(isolated_error_spool, "ab") as spool:
        spool.write(b"not json\n")

    result = replay_spool()

    assert (result.stored, result.unreadable, result.kept) == (1, 0, 1)
    assert AppError.objects.get().pk == good.pk
    assert isolated_error_spool.read_bytes() == b"not json\n"
    assert "Could not move unreadable spool lines" in caplog.text


def test_unreadable_lines_are_moved_aside_even_while_the_database_is_away(
    unreachable_errors_database, isolated_error_spool
):
    waiting = AppError(message="waits for the database", data={})
    append_to_spool(waiting)
    with open(isolated_error_spool, "ab") as spool:
        spool.write(b"not json\n")

    result = replay_spool()

    assert (result.stored, result.failed, result.unreadable, result.kept) == (0, 1, 1, 1)
    (kept,) = isolated_error_spool.read_bytes().splitlines()
    assert json.loads(kept)["id"] == str(waiting.pk)
    assert isolated_error_spool.with_name("spool.jsonl.rejected").read_bytes() == b"not json\n"
    assert "1 unreadable line(s) moved to spool.jsonl.rejected; 1 line(s) kept (1 failed)" in (
        result.summary()
    )


def test_a_line_cut_short_does_not_swallow_the_next(isolated_error_spool):
    isolated_error_spool.write_bytes(b'{"id": "cut short by a full disk')
    error = AppError(message="after the cut", data={})
    append_to_spool(error)
    result = replay_spool()
    assert (result.stored, result.unreadable) == (1, 1)
    assert AppError.objects.get().pk == error.pk


def append_many(count: int, path: str, halfway, go) -> None:
    """Append half the errors, say so, wait for the word, append the other half."""
    from django.conf import settings

    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_PATH": path}
    for number in range(count):
        if number == count // 2:
            halfway.release()
            go.wait()
        append_to_spool(AppError(message=f"appended {number}", data={"trace": "x" * 2000}))


@pytest.mark.slow
def test_appends_from_several_processes_and_a_replay_at_once_lose_nothing(
    isolated_error_spool,
):
    """Four processes append while this one replays again and again: the replay rewrites
    the file under the lock, and a writer that waited on the old file appends to the new
    one, so every error ends up stored exactly once.

    The writers pause halfway until a first replay has stored (and removed) their first
    halves, so at least one replay always runs between appends, however the processes
    are scheduled; the second halves race the replays that follow."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    halfway, go = context.Semaphore(0), context.Event()
    writers = [
        context.Process(target=append_many, args=(150, str(isolated_error_spool), halfway, go))
        for _ in range(4)
    ]
    for writer in writers:
        writer.start()
    for _ in writers:
        assert halfway.acquire(timeout=120), "a writer never got halfway"
    first = replay_spool()
    go.set()
    while any(writer.is_alive() for writer in writers):
        replay_spool()
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    replay_spool()

    assert (first.stored, first.kept) == (300, 0)
    assert AppError.objects.count() == 600
    assert len(set(AppError.objects.values_list("message", flat=True))) == 150
    assert not isolated_error_spool.exists()


def test_dashboard_shows_a_banner_while_errors_wait_in_the_spool(
    staff_client, isolated_error_spool
):
    assert "waiting in the spool" not in staff_client.get("/").content.decode()
    append_to_spool(AppError(message="first", data={}))
    append_to_spool(AppError(message="second", data={}))

    page = staff_client.get("/").content.decode()
    assert "2 errors could not be written to the" in page
    assert "replay_error_spool" in page

    replay_spool()
    assert "waiting in the spool" not in staff_client.get("/").content.decode()


def test_banner_count_follows_the_file_as_it_grows(staff_client, isolated_error_spool):
    append_to_spool(AppError(message="first", data={}))
    assert "1 error could not be written" in staff_client.get("/").content.decode()
    append_to_spool(AppError(message="second", data={"id": str(uuid.uuid4())}))
    assert "2 errors could not be written" in staff_client.get("/").content.decode()


@pytest.fixture
def replay_after_every_write(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_AUTO_REPLAY_SECONDS": 0}


def test_the_first_write_after_an_outage_stores_what_was_spooled(
    unreachable_errors_database, isolated_error_spool, replay_after_every_write
):
    spooled = [persist_app_error(failing(f"during the outage {n}")) for n in range(3)]
    assert count_pending(isolated_error_spool) == 3

    unreachable_errors_database()
    assert not AppError.objects.exists()
    after = persist_app_error(failing("the database is back"))

    assert not after._state.adding
    stored = set(AppError.objects.values_list("pk", flat=True))
    assert stored == {after.pk, *(error.pk for error in spooled)}
    assert not isolated_error_spool.exists()


def test_a_large_spool_is_left_for_the_command_and_the_banner(
    isolated_error_spool, replay_after_every_write, monkeypatch
):
    import errors.spool

    for n in range(3):
        append_to_spool(AppError(message=f"spooled {n}", data={}))
    size = isolated_error_spool.stat().st_size
    monkeypatch.setattr(errors.spool, "AUTO_REPLAY_MAX_BYTES", size - 1)
    persist_app_error(failing("a write"))
    assert AppError.objects.count() == 1 and count_pending(isolated_error_spool) == 3
    monkeypatch.setattr(errors.spool, "AUTO_REPLAY_MAX_BYTES", size)
    persist_app_error(failing("another write"))
    assert AppError.objects.count() == 5 and not isolated_error_spool.exists()


def test_automatic_replay_can_be_turned_off(isolated_error_spool, settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_AUTO_REPLAY_SECONDS": None}
    append_to_spool(AppError(message="left for the command", data={}))
    persist_app_error(failing("a write"))
    assert count_pending(isolated_error_spool) == 1
    assert list(AppError.objects.values_list("message", flat=True)) == ["a write"]


def test_no_replay_inside_the_callers_transaction_on_the_errors_alias(
    isolated_error_spool, replay_after_every_write
):
    append_to_spool(AppError(message="spooled", data={}))
    with transaction.atomic(using=errors_alias()):
        persist_app_error(failing("inside"))
    assert count_pending(isolated_error_spool) == 1
    persist_app_error(failing("outside"))
    assert not isolated_error_spool.exists() and AppError.objects.count() == 3


def test_a_process_looks_at_the_spool_at_most_once_per_interval():
    from errors.spool import ReplaySchedule

    schedule = ReplaySchedule()
    assert schedule.claim(30, now=100.0)
    assert not schedule.claim(30, now=129.9)
    assert schedule.claim(30, now=130.0)
    assert schedule.claim(0, now=130.0) is False  # the claim at 130 set the next to 160
    assert schedule.claim(0, now=160.0) and schedule.claim(0, now=160.0)


REPLAY_URL = "/errors/spool/replay/"


def test_staff_store_the_spooled_errors_from_the_banner(staff_client, isolated_error_spool):
    append_to_spool(AppError(message="first", data={}))
    append_to_spool(AppError(message="second", data={}))
    page = staff_client.get("/").content.decode()
    assert f'hx-post="{REPLAY_URL}"' in page and "Store them now" in page

    response = staff_client.post(REPLAY_URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    banner = response.content.decode()
    assert "Stored 2 error(s); 0 were already stored; 0 line(s) kept." in banner
    assert 'role="status"' in banner and "waiting in the spool" not in banner
    assert "errors-changed" in json.loads(response.headers["HX-Trigger"])  # summary recounts
    assert sorted(AppError.objects.values_list("message", flat=True)) == ["first", "second"]
    assert count_pending(isolated_error_spool) == 0
    assert "waiting in the spool" not in staff_client.get("/").content.decode()


def test_without_javascript_the_replay_returns_to_the_page_with_what_it_did(
    staff_client, isolated_error_spool
):
    append_to_spool(AppError(message="only one", data={}))
    response = staff_client.post(REPLAY_URL, {"next": "/?app=xero"})
    assert response.status_code == 302 and response.url == "/?app=xero"
    page = staff_client.get(response.url).content.decode()
    assert "Stored 1 error(s); 0 were already stored; 0 line(s) kept." in page
    assert "waiting in the spool" not in page
    assert AppError.objects.get().message == "only one"
    outside = staff_client.post(REPLAY_URL, {"next": "https://elsewhere.example/"})
    assert outside.url == "/errors/"


def test_an_unreadable_line_leaves_the_banner_for_the_rejected_file(
    staff_client, isolated_error_spool
):
    append_to_spool(AppError(message="stored", data={}))
    isolated_error_spool.write_text(isolated_error_spool.read_text() + "not json\n")
    assert "2 errors could not be written" in staff_client.get("/").content.decode()
    banner = staff_client.post(
        REPLAY_URL, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/?app=xero"
    ).content.decode()
    assert (
        "Stored 1 error(s); 0 were already stored; 1 unreadable line(s) moved to "
        "spool.jsonl.rejected; 0 line(s) kept"
    ) in banner
    assert "could not be written" not in banner and 'role="alert"' not in banner
    assert "could not be written" not in staff_client.get("/").content.decode()


def test_only_staff_allowed_to_add_errors_may_replay(client, staff, isolated_error_spool):
    from django.contrib.auth.models import Permission

    append_to_spool(AppError(message="waiting", data={}))
    assert client.post(REPLAY_URL).status_code == 302  # to the login page
    staff.user_permissions.remove(Permission.objects.get(codename="add_apperror"))
    client.force_login(staff)
    page = client.get("/").content.decode()
    assert "1 error could not be written" in page and REPLAY_URL not in page
    assert client.post(REPLAY_URL).status_code == 403
    assert client.get(REPLAY_URL).status_code == 405
    assert count_pending(isolated_error_spool) == 1 and not AppError.objects.exists()


def call_command_output(name: str) -> str:
    import io

    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


on_postgresql = pytest.mark.skipif(
    connections[errors_alias()].vendor != "postgresql", reason="a database server's timeouts"
)


@pytest.fixture
def silent_server():
    """A local port that accepts connections (the kernel completes the handshake) and never
    answers: a database host gone quiet, without waiting on a real network."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@on_postgresql
def test_a_database_that_never_answers_sends_the_error_to_the_spool(
    unreachable_errors_database, silent_server, isolated_error_spool
):
    connection = connections[errors_alias()]
    options = connection.settings_dict["OPTIONS"]
    assert options["connect_timeout"] and options["tcp_user_timeout"]
    # libpq's shortest connect timeout, so the test waits two seconds, not five.
    connection.settings_dict.update(
        PORT=str(silent_server), OPTIONS={**options, "connect_timeout": 2}
    )

    error = persist_app_error(failing("Xero push failed while the database was silent"))

    assert error is not None and error._state.adding
    assert count_pending(isolated_error_spool) == 1
    unreachable_errors_database()
    replay_spool()
    assert AppError.objects.get().pk == error.pk


@on_postgresql
def test_a_write_held_past_its_statement_timeout_goes_to_the_spool(
    monkeypatch, isolated_error_spool
):
    from errors import inserts

    monkeypatch.setattr(inserts, "POSTGRESQL_WRITE_TIMEOUT", "200ms")
    monkeypatch.setattr(inserts, "_statements", {})
    writer = connections[errors_alias()]
    with writer.cursor() as cursor:  # were the write's own timeout missing: fail, not hang
        cursor.execute("SET lock_timeout = '10s'")
    try:
        with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AppError._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            error = persist_app_error(failing("Xero push failed while a migration held the table"))
    finally:
        with writer.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert error is not None and error._state.adding
    assert "statement timeout" in isolated_error_spool.read_text()
    replay_spool()
    assert AppError.objects.get().pk == error.pk
