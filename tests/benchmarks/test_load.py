"""Smoke test of `python -m benchmarks load`: a tiny run that proves the table is measured, never how fast.

Real processes (simulator, two bot processes, the bare Bolt app), real Redis, signed requests; a few
conversations per row, so it stays within seconds. It asserts the table's shape, that every conversation of
the bot completed, that the counters counted, and that the run left no key in Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from benchmarks.cpucap import CpuCap
from benchmarks.load import COLUMNS, Options, format_table, parse_args, run

pytestmark = pytest.mark.redis


async def test_a_tiny_load_run_completes_every_conversation_and_prints_its_table() -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    options = Options(
        scenarios=("show", "reschedule"), rates=(6.0,), duration=1.0, processes=(2,), users=6, drain=30.0,
        redis_url=redis_url, job_copies=2,
    )  # fmt: skip
    rows = await run(options)

    assert [(r.scenario, r.app, r.processes) for r in rows] == [
        ("show", "bot", 2), ("show", "bare", 2), ("reschedule", "bot", 2), ("reschedule", "bare", 2),
    ]  # fmt: skip
    for row in rows:
        events = row.conversations * (1 if row.scenario == "show" else 2)
        assert row.conversations >= 3 and row.busy == 0, row
        assert row.completed == row.conversations, (row.scenario, row.app, row.failures, row.top_error)
        assert len(row.acks) == len(row.replies) == events
        assert row.http_errors == 0 and row.cpu_ms_per_event > 0 and row.rss_mb > 0
        if row.app == "bot":  # the bot reads ServiceTitan and keeps its conversations in Redis
            # (a warm `show job` is served from the job reads cache: a reschedule always writes)
            assert row.st_per_conversation >= (1 if row.scenario == "reschedule" else 0)
            assert row.redis_per_conversation >= 1
        else:
            assert row.st_per_conversation == 0 and row.redis_per_conversation == 0
        with redis.Redis.from_url(redis_url) as client:
            assert not list(client.scan_iter(match=f"{row.prefix}:*")), "the run left keys in Redis"

    table = format_table(rows).splitlines()
    header = table[0].split()
    for name, _ in COLUMNS:
        assert name.split()[0] in header
    assert len(table) >= 2 + len(rows)
    assert all(len(line.split()) >= len(COLUMNS) for line in table[2 : 2 + len(rows)])


@pytest.mark.parametrize(
    "argv",
    [
        ["--processes", "9"],
        ["--rate", "0"],
        ["--scenario", "dance"],
        ["--duration", "3600"],
        ["--bot-rate-limit", "0"],
        ["--bot-rate-limit", "fast"],
        ["--show-jobs", "0"],
        ["--cpu-per-process", "0"],
    ],
)
def test_the_run_stays_bounded(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_a_capped_process_runs_in_a_cgroup_of_its_own_with_the_quota() -> None:
    """`--cpu-per-process`: where cgroups can be made (root here), each process gets its own with the
    quota, removed afterwards; elsewhere the option is refused with the reason, before anything starts."""
    why = CpuCap.check()
    if why is not None:
        with pytest.raises(SystemExit):
            parse_args(["--cpu-per-process", "0.5"])
        return
    assert parse_args(["--cpu-per-process", "0.5"]).cpu_per_process == 0.5
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    cap = CpuCap(0.25)
    try:
        cap.put(proc.pid)
        (group,) = cap.groups
        assert group.name in Path(f"/proc/{proc.pid}/cgroup").read_text()
        quota = (group / "cpu.max").read_text().split() if (group / "cpu.max").exists() else None
        if quota is None:
            quota = [
                (group / "cpu.cfs_quota_us").read_text().strip(),
                (group / "cpu.cfs_period_us").read_text(),
            ]
        assert int(quota[0]) / int(quota[1]) == 0.25
    finally:
        proc.communicate(b"")
        cap.close()
    assert not group.exists()
