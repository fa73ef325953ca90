"""Scheduled jobs: registry, runner (due, failures, lock), command, API, admin, scheduler thread."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from tests.server.conftest import client_for, make_case

from vigil.server.accounts.models import Organisation
from vigil.server.audit.log import ChainReport
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Person
from vigil.server.jobs import registry, runner, scheduler
from vigil.server.jobs.models import JobRun
from vigil.server.jobs.registry import JobError, register
from vigil.server.jobs.runner import lock_query, run_due

DAY = timedelta(days=1)


@pytest.fixture
def isolated(monkeypatch: Any) -> dict[str, registry.Job]:
    """An empty registry for the test (the built-in jobs are left out), restored afterwards."""
    jobs: dict[str, registry.Job] = {}
    monkeypatch.setattr(registry, "_jobs", jobs)
    return jobs


class Counter:
    def __init__(self, result: Any = None, error: BaseException | None = None) -> None:
        self.calls = 0
        self.result = {"done": 1} if result is None else result
        self.error = error

    def __call__(self) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result


def ok_run(name: str, ago: timedelta) -> JobRun:
    at = timezone.now() - ago
    return JobRun.objects.create(name=name, started_at=at, finished_at=at, status="ok")


# --- registry ---------------------------------------------------------------------------------


def test_builtin_jobs_are_registered_and_tokens_are_left_to_retention():
    names = {job.name for job in registry.all_jobs()}
    assert {"retention", "audit_seal_verify"} <= names
    assert "expired_tokens" not in names  # retention.apply already deletes expired tokens
    assert registry.get("retention").every == DAY == registry.get("audit_seal_verify").every


def test_register_checks_its_arguments(isolated):
    job = Counter()
    register("good_name", job, every=DAY)
    assert register("good_name", job, every=DAY).func is job  # the same callable again: fine
    with pytest.raises(ValueError, match="already registered"):
        register("good_name", Counter(), every=DAY)
    with pytest.raises(ValueError, match="job name"):
        register("Bad-Name", job, every=DAY)
    with pytest.raises(ValueError, match="every"):
        register("zero", job, every=timedelta(0))
    with pytest.raises(registry.UnknownJob, match="known: good_name"):
        registry.get("missing")


def test_registry_imports_without_django_so_any_app_ready_can_register():
    code = (
        "import sys, datetime\n"
        "from vigil.server.jobs.registry import register, all_jobs\n"
        "register('export_purge', lambda: {'deleted': 0}, every=datetime.timedelta(hours=1))\n"
        "assert [j.name for j in all_jobs()] == ['export_purge']\n"
        "assert not any(m.endswith('.models') for m in sys.modules if m.startswith('vigil'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- runner -----------------------------------------------------------------------------------


def test_due_job_runs_and_is_recorded_and_audited(db, isolated):
    job = Counter({"purged": 3})
    register("purge", job, every=DAY)
    runs = run_due()
    assert job.calls == 1 and len(runs) == 1
    run = JobRun.objects.get()
    assert (run.name, run.status, run.summary) == ("purge", "ok", {"purged": 3})
    assert run.started_at <= run.finished_at and run.host and run.pid
    entry = AuditEntry.objects.get(action="job")
    assert entry.via == "job" and entry.object_type == "system"
    assert entry.detail == {"job": "purge", "status": "ok", "purged": 3}


def test_not_due_job_does_not_run_until_its_interval_has_passed(db, isolated):
    recent, old, never = Counter(), Counter(), Counter()
    register("recent", recent, every=DAY)
    register("old", old, every=DAY)
    register("never", never, every=DAY)
    ok_run("recent", timedelta(hours=23))
    ok_run("old", timedelta(hours=25))
    assert sorted(r.name for r in run_due()) == ["never", "old"]
    assert (recent.calls, old.calls, never.calls) == (0, 1, 1)
    assert run_due() == []  # all three ran less than a day ago now
    later = timezone.now() + timedelta(hours=2)
    assert [r.name for r in run_due(later)] == ["recent"]  # its day is up two hours later


def test_failing_job_is_recorded_rolled_back_and_the_next_still_runs(db, isolated):
    def fails() -> dict[str, int]:
        Organisation.objects.create(name="Half-done change", kind="ngo")
        raise ValueError("Amina Synthetic DOC-A-0001")  # a message quoting data

    after = Counter()
    register("a_fails", fails, every=DAY)
    register("b_after", after, every=DAY)
    runs = run_due()
    assert [(r.name, r.status) for r in runs] == [("a_fails", "failed"), ("b_after", "ok")]
    failed = JobRun.objects.get(name="a_fails")
    assert failed.error_class == "ValueError"
    assert "withheld" in failed.error_message and "test_server_jobs.py" in failed.error_message
    assert "Amina" not in failed.error_message and failed.summary == {}
    assert not Organisation.objects.filter(name="Half-done change").exists()  # no partial change
    entry = AuditEntry.objects.get(action="job", detail__job="a_fails")
    assert entry.detail == {"job": "a_fails", "status": "failed", "error": "ValueError"}
    assert "Amina" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))
    # retried at the next tick (never succeeded); the other is not due any more
    assert [r.name for r in run_due()] == ["a_fails"]
    assert after.calls == 1


def test_job_error_message_is_kept_and_a_summary_must_be_counts(db, isolated):
    register("explains", Counter(error=JobError("3 files of export 12 missing")), every=DAY)
    register("leaks", Counter({"name": "Amina"}), every=DAY)
    register("bad_key", Counter({"Amina Synthetic": 1}), every=DAY)
    register("nothing", Counter(result={}), every=DAY)
    run_due()
    explains = JobRun.objects.get(name="explains")
    assert explains.status == "failed" and explains.error_message == "3 files of export 12 missing"
    assert explains.error_class == "vigil.server.jobs.registry.JobError"
    for name in ("leaks", "bad_key"):
        run = JobRun.objects.get(name=name)
        assert run.status == "failed" and run.error_class.endswith("SummaryError")
        assert "Amina" not in run.error_message and run.summary == {}
    assert JobRun.objects.get(name="nothing").status == "ok"


def test_force_and_only(db, isolated):
    first, second = Counter(), Counter()
    register("first", first, every=DAY)
    register("second", second, every=DAY)
    ok_run("first", timedelta(hours=1))
    ok_run("second", timedelta(hours=1))
    assert run_due(only="first") == []
    assert [r.name for r in run_due(only="first", force=True)] == ["first"]
    assert (first.calls, second.calls) == (1, 0)
    assert [r.name for r in run_due(force=True)] == ["first", "second"]
    with pytest.raises(registry.UnknownJob):
        run_due(only="third")


def test_retention_through_the_scheduler_anonymises_past_period_and_spares_legal_hold(users):
    owner = users["caseworker"]
    long_ago = timezone.localdate() - timedelta(days=6 * 365)
    due = make_case(owner, doc="OLD-1")
    held = make_case(owner, doc="HELD-1")
    recent = make_case(owner, doc="NEW-1")
    Case.objects.filter(pk__in=[due.pk, held.pk]).update(status="Closed", closed_on=long_ago)
    Case.objects.filter(pk=held.pk).update(legal_hold=True, legal_hold_reason="trial pending")
    Case.objects.filter(pk=recent.pk).update(status="Closed", closed_on=date.today() - timedelta(days=30))
    runs = {r.name: r for r in run_due()}
    assert runs["retention"].status == "ok"
    assert runs["retention"].summary["anonymised_cases"] == 1
    assert runs["retention"].summary["held_cases"] == 1
    assert Case.objects.get(pk=due.pk).anonymised_at is not None
    assert Person.objects.get(pk=due.person_id).document_number == ""
    assert Person.objects.get(pk=held.person_id).document_number == "HELD-1"
    assert Case.objects.get(pk=held.pk).anonymised_at is None
    assert Person.objects.get(pk=recent.person_id).document_number == "NEW-1"
    assert runs["audit_seal_verify"].status == "ok"
    assert "retention" not in {r.name for r in run_due()}  # done for today


def test_audit_seal_verify_seals_and_a_broken_chain_fails_the_run(db, monkeypatch):
    from vigil.server.audit.log import record

    record("test", object_type="system")
    run = run_due(only="audit_seal_verify")[0]
    assert run.status == "ok" and run.summary["sealed"] >= 1 and run.summary["checked"] >= 1
    broken = ChainReport(False, 7, first_bad_id=8, problem="content does not match its hash (entry altered)")
    monkeypatch.setattr("vigil.server.audit.log.verify_chain", lambda: broken)
    run = run_due(only="audit_seal_verify", force=True)[0]
    assert run.status == "failed" and run.error_class.endswith("JobError")
    assert run.error_message.startswith("audit chain broken at entry 8: content does not match")


# --- the lock ----------------------------------------------------------------------------------


def test_lock_query_on_postgresql_is_for_update_skip_locked():
    """The SQL the PostgreSQL path sends (compiled offline: no PostgreSQL server needed)."""
    pytest.importorskip("psycopg")
    from django.db.backends.postgresql.base import DatabaseWrapper

    pg = DatabaseWrapper({**connection.settings_dict, "NAME": "offline"}, alias="offline")
    pg.get_autocommit = lambda: False  # type: ignore[method-assign]  # as inside transaction.atomic()
    sql, params = lock_query("retention")[:1].query.get_compiler(connection=pg).as_sql()
    assert sql.endswith("LIMIT 1 FOR UPDATE SKIP LOCKED") and '"jobs_joblock"' in sql
    assert params == ("retention",)


def test_job_held_elsewhere_is_skipped_not_run(db, isolated, monkeypatch):
    """The PostgreSQL path when another process holds the row: ``acquire`` finds no row."""
    job = Counter()
    register("busy", job, every=DAY)
    monkeypatch.setattr(runner, "acquire", lambda name: False)
    runs = run_due()
    assert job.calls == 0 and [r.status for r in runs] == ["skipped"]
    assert AuditEntry.objects.get(action="job").detail == {"job": "busy", "status": "skipped"}
    assert [r.status for r in run_due()] == ["skipped"]  # still due: tried again next tick


@pytest.mark.django_db(transaction=True)
def test_lock_prevents_a_second_concurrent_run(isolated):
    """Two processes tick together: the second waits on the write lock (SQLite) or skips the
    locked row (PostgreSQL); either way the job runs once."""
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> dict[str, int]:
        calls.append(threading.get_ident())
        started.set()
        assert release.wait(20)
        return {"n": 1}

    register("slow", slow, every=DAY)
    results: dict[str, Any] = {}

    def tick(key: str) -> None:
        try:
            results[key] = [(r.name, r.status) for r in run_due()]
        except Exception as exc:  # pragma: no cover - reported by the assertions below
            results[key] = exc
        finally:
            connection.close()

    first = threading.Thread(target=tick, args=("first",))
    second = threading.Thread(target=tick, args=("second",))
    first.start()
    try:
        assert started.wait(20)
        second.start()
        if connection.vendor == "postgresql":
            second.join(20)  # finds the row locked: does not wait
        else:
            time.sleep(0.5)  # queues on the database write lock
            assert second.is_alive()
    finally:
        release.set()
        first.join(30)
        second.join(30)
    assert results["first"] == [("slow", "ok")]
    assert results["second"] == ([("slow", "skipped")] if connection.vendor == "postgresql" else [])
    assert len(calls) == 1
    assert JobRun.objects.filter(name="slow", status="ok").count() == 1


# --- command -----------------------------------------------------------------------------------


def run_jobs(*args: str) -> str:
    out = StringIO()
    call_command("run_jobs", *args, stdout=out)
    return out.getvalue()


def test_command_once_job_force(db, isolated):
    first, second = Counter({"deleted": 2}), Counter()
    register("first", first, every=DAY)
    register("second", second, every=DAY)
    assert run_jobs("--once", "--job", "first") == "first: succeeded (deleted=2)\n"
    assert run_jobs("--once", "--job", "first") == "no job due\n"
    assert run_jobs("--once", "--job", "first", "--force").startswith("first: succeeded")
    assert (first.calls, second.calls) == (2, 0)
    assert run_jobs("--once") == "second: succeeded (done=1)\n"
    with pytest.raises(CommandError, match="no job named 'third'"):
        run_jobs("--once", "--job", "third")
    with pytest.raises(CommandError, match="--list"):
        run_jobs("--list", "--force")


def test_command_once_fails_when_a_job_fails_after_running_the_others(db, isolated):
    register("a_fails", Counter(error=JobError("chain broken at entry 4")), every=DAY)
    after = Counter()
    register("b_after", after, every=DAY)
    out = StringIO()
    with pytest.raises(CommandError, match="failed: a_fails"):
        call_command("run_jobs", "--once", stdout=out)
    assert "a_fails: failed vigil.server.jobs.registry.JobError: chain broken at entry 4" in out.getvalue()
    assert after.calls == 1


def test_command_list(db, isolated):
    register("hourly", Counter(), every=timedelta(hours=1))
    register("weekly", Counter(), every=timedelta(days=7, hours=12))
    run = ok_run("weekly", timedelta(days=1))
    lines = run_jobs("--list").splitlines()
    assert lines[0].split() == ["job", "every", "last", "run", "last", "status", "next", "due"]
    assert lines[1].split() == ["hourly", "1h", "never", "-", "now"]
    fmt = "%Y-%m-%d %H:%M %Z"
    last = timezone.localtime(run.started_at).strftime(fmt)
    due = timezone.localtime(run.started_at + timedelta(days=7, hours=12)).strftime(fmt)
    assert lines[2].split() == ["weekly", "7d", "12h", *last.split(), "succeeded", *due.split()]
    assert JobRun.objects.count() == 1  # listing runs nothing
    assert run_jobs("--list", "--job", "hourly").count("\n") == 2


# --- API and admin -----------------------------------------------------------------------------


def test_api_for_administrators_only(users):
    run_due(only="retention")
    r = client_for(users["administrator"]).get("/api/jobs/")
    assert r.status_code == 200
    jobs = {row["name"]: row for row in r.json()}
    assert {"retention", "audit_seal_verify"} <= set(jobs)
    retention = jobs["retention"]
    assert retention["interval_seconds"] == 86400 and retention["description"]
    assert retention["last_run"]["status"] == "ok" and retention["due"] is False
    assert retention["last_run"]["summary"]["anonymised_cases"] == 0
    assert '"anonymised_cases":0' in r.content.decode()  # counts stay integers
    assert retention["next_due"] and retention["last_success_at"]
    assert jobs["audit_seal_verify"]["last_run"] is None and jobs["audit_seal_verify"]["due"] is True
    for role in ("caseworker", "inspector", "supervisor", "referral_receiver", "analyst"):
        assert client_for(users[role]).get("/api/jobs/").status_code == 403, role
    assert Client().get("/api/jobs/").status_code in (401, 403)


def test_api_description_in_french(users):
    r = client_for(users["administrator"]).get("/api/jobs/", HTTP_ACCEPT_LANGUAGE="fr")
    retention = next(row for row in r.json() if row["name"] == "retention")
    assert retention["description"] == (
        "Anonymiser les dossiers clos dont la durée de conservation est écoulée (sauf ceux sous "
        "conservation légale) ; supprimer les jetons d’API expirés et les anciens enregistrements "
        "d’échecs de connexion."
    )


def test_admin_shows_runs_read_only_to_administrators(users):
    ok_run("retention", timedelta(hours=1))
    admin = Client()
    admin.force_login(users["administrator"])
    page = admin.get("/admin/jobs/jobrun/")
    assert page.status_code == 200 and b"retention" in page.content
    run = JobRun.objects.get()
    assert admin.get(f"/admin/jobs/jobrun/{run.pk}/change/").status_code == 200
    assert admin.get("/admin/jobs/jobrun/add/").status_code == 403
    assert admin.post(f"/admin/jobs/jobrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert JobRun.objects.filter(pk=run.pk).exists()
    other = Client()
    other.force_login(users["supervisor"])
    assert other.get("/admin/jobs/jobrun/").status_code == 302  # to the admin login


# --- scheduler thread --------------------------------------------------------------------------


def test_scheduler_off(monkeypatch):
    monkeypatch.setenv("VIGIL_SCHEDULER", "off")
    assert scheduler.start_scheduler(0.01) is None
    assert not any(t.name == "vigil-jobs" for t in threading.enumerate())
    monkeypatch.setenv("VIGIL_SCHEDULER", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="VIGIL_SCHEDULER"):
        scheduler.start_scheduler()


def test_scheduler_thread_ticks_survives_errors_and_stops(monkeypatch):
    monkeypatch.delenv("VIGIL_SCHEDULER", raising=False)
    ticks: list[int] = []
    twice = threading.Event()

    def fake_run_due(**kwargs: Any) -> list[JobRun]:
        ticks.append(1)
        if len(ticks) >= 2:
            twice.set()
        raise RuntimeError("database is locked")  # logged; the next tick still comes

    monkeypatch.setattr(scheduler, "run_due", fake_run_due)
    thread = scheduler.start_scheduler(0.01)
    assert thread is not None
    try:
        assert thread.daemon and thread.name == "vigil-jobs"
        assert twice.wait(10)
    finally:
        thread.stop()
    assert not thread.is_alive()


# --- clock steps (issue 14: neither skipped nor run twice) -----------------------------------

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


class FakeClock:
    """The wall clock of the runner, moved by hand: ``tick`` is a minute of real time passing,
    ``step`` the clock jumping (NTP, a clock set by hand) without time passing."""

    def __init__(self, start: Any) -> None:
        self.now = start

    def __call__(self) -> Any:
        return self.now

    def step(self, delta: timedelta) -> None:
        self.now += delta


def _tick(clock: FakeClock, job: Counter, minutes: int) -> list[int]:
    """Let ``minutes`` of real time pass, the scheduler ticking each minute; the minutes (1-based)
    at which the job ran."""
    ran = []
    for minute in range(1, minutes + 1):
        clock.step(MINUTE)
        before = job.calls
        run_due(clock=clock)
        assert job.calls - before in (0, 1)
        if job.calls > before:
            ran.append(minute)
    return ran


def test_clock_step_forward_runs_a_due_job_once_not_once_per_missed_interval(db, isolated):
    job = Counter()
    register("hourly", job, every=HOUR)
    clock = FakeClock(timezone.now().replace(microsecond=0))
    assert _tick(clock, job, 10) == [1]  # never ran: runs at the first tick
    clock.step(timedelta(hours=5))  # five intervals "pass" at once
    assert _tick(clock, job, 120) == [1, 61]  # one catch-up run, then every hour again
    assert JobRun.objects.filter(name="hourly", status="ok").count() == 3


def test_clock_step_back_is_neither_a_second_run_nor_a_long_wait(db, isolated, caplog):
    job = Counter()
    register("hourly", job, every=HOUR)
    clock = FakeClock(timezone.now().replace(microsecond=0))
    assert _tick(clock, job, 30) == [1]
    clock.step(-timedelta(hours=3))  # the clock now reads 2 h 31 min before the last run
    # no run right after the step (that would be the same job twice within the hour), and the
    # next run comes an hour after the step was seen, not when the clock catches up (3.5 hours)
    assert _tick(clock, job, 130) == [61, 121]
    assert "stepped back" in caplog.text
    runs = list(JobRun.objects.filter(name="hourly").order_by("id"))
    assert [r.status for r in runs] == ["ok", "ok", "ok"]
    assert runs[1].started_at < runs[0].started_at  # dated by the stepped clock, as it read
    # a second, smaller step back (behind the run after the first step) is seen the same way
    clock.step(-timedelta(minutes=90))
    assert _tick(clock, job, 61) == [61]


def test_a_small_step_back_delays_by_at_most_the_step(db, isolated):
    job = Counter()
    register("hourly", job, every=HOUR)
    clock = FakeClock(timezone.now().replace(microsecond=0))
    assert _tick(clock, job, 40) == [1]
    clock.step(-timedelta(minutes=20))  # still after the last run: the interval goes on
    assert _tick(clock, job, 60) == [41]  # 39 + 20 minutes after the run: not twice, not skipped


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_daylight_saving_changes_move_nothing(db, isolated, settings, zone):
    from datetime import UTC, datetime

    settings.TIME_ZONE = zone
    job = Counter()
    register("hourly", job, every=HOUR)
    # the nights the clocks go back (25 Oct 2026 in Europe, 1 Nov in the US) and forward
    for start in (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 31, 22, 0, tzinfo=UTC),
                  datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 7, 22, 0, tzinfo=UTC)):
        JobRun.objects.all().delete()
        job.calls = 0
        clock = FakeClock(start)
        assert _tick(clock, job, 8 * 60) == [1 + 60 * h for h in range(8)]  # once an hour, 8 hours


def test_scheduler_thread_uses_its_clock(db, isolated, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)  # the test's connection

    job = Counter()
    register("hourly", job, every=HOUR)
    clock = FakeClock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
    thread = scheduler.Scheduler(3600, clock=clock)
    thread.tick()
    thread.tick()
    assert job.calls == 1
    run = JobRun.objects.get(name="hourly")
    assert run.started_at == run.finished_at == clock.now
