"""`python -m intents`: single text, JSON-lines batch (one flushed line per input line), REPL."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30


def run(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intents", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_single_text() -> None:
    done = run(
        ["parse", "reschedule job 123 to Friday", "--now", "2026-11-24T09:00:00", "--tz", "America/Chicago"]
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [
        {"intent": "reschedule_appointment", "slots": {"job_id": 123, "when": {"date": "2026-11-27"}}}
    ]


def test_batch_answers_every_line_in_order() -> None:
    requests = [
        json.dumps({"text": "cancel job 61", "now": "2026-11-24T09:00:00", "tz": "America/Chicago"}),
        "not json",
        "",
        json.dumps({"text": "jobs completed this week", "now": "2026-11-24T09:00:00"}),
        json.dumps({"text": "show job 5", "tz": "Mars/Olympus"}),
        json.dumps(["a list"]),
        json.dumps({"text": "help"}),
    ]
    done = run(["parse"], stdin="\n".join(requests) + "\n")
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert len(out) == len(requests)
    assert out[0] == {"intent": "cancel_job", "slots": {"job_id": 61}}
    assert out[1]["intent"] == "unknown" and "error" in out[1]
    assert out[2] == {"intent": "unknown", "slots": {}}
    assert out[3] == {
        "intent": "find_jobs",
        "slots": {"status": "completed", "range": {"from": "2026-11-23", "to": "2026-11-29"}},
    }
    assert out[4]["intent"] == "unknown" and "Mars/Olympus" in out[4]["error"]
    assert out[5]["intent"] == "unknown" and "error" in out[5]
    assert out[6] == {"intent": "help", "slots": {}}


def test_default_zone_comes_from_st_timezone() -> None:
    # 2026-11-24T23:30 UTC is still the 24th in Chicago but already the 25th in Tokyo
    request = json.dumps({"text": "jobs today", "now": "2026-11-24T23:30:00+00:00"}) + "\n"
    chicago = lines(run(["parse"], stdin=request, env={"ST_TIMEZONE": ""}).stdout)[0]
    tokyo = lines(run(["parse"], stdin=request, env={"ST_TIMEZONE": "Asia/Tokyo"}).stdout)[0]
    assert chicago["slots"]["range"] == {"from": "2026-11-24", "to": "2026-11-24"}
    assert tokyo["slots"]["range"] == {"from": "2026-11-25", "to": "2026-11-25"}


def test_batch_flushes_each_answer_before_the_next_line_arrives() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "intents", "parse"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        for text, intent in (("cancel job 61", "cancel_job"), ("help", "help")):
            proc.stdin.write(json.dumps({"text": text, "now": "2026-11-24T09:00:00"}) + "\n")
            proc.stdin.flush()
            assert selector.select(timeout=TIMEOUT), "no answer while stdin is still open"
            assert json.loads(proc.stdout.readline())["intent"] == intent
    finally:
        proc.stdin.close()
        proc.wait(timeout=TIMEOUT)
        selector.close()
    assert proc.returncode == 0


def test_bad_arguments_are_reported() -> None:
    done = run(["parse", "help", "--tz", "Nowhere/Atlantis"])
    assert done.returncode == 2
    assert "Nowhere/Atlantis" in done.stderr
    done = run(["parse", "help", "--now", "yesterday-ish"])
    assert done.returncode == 2


def test_repl() -> None:
    script = ":now 2026-11-24T09:00:00\ncancel job 61\n:slot when friday 2pm\n:tz Nowhere/X\n:quit\n"
    done = run(["repl"], stdin=script)
    assert done.returncode == 0
    assert '"cancel_job"' in done.stdout
    assert '{"date": "2026-11-27", "start": "14:00"}' in done.stdout
    assert "error:" in done.stdout
    assert run([], stdin="help\n").returncode == 0


def test_a_bad_st_timezone_is_reported_not_a_crash() -> None:
    done = run(["parse"], stdin='{"text": "help"}\n', env={"ST_TIMEZONE": "Nowhere/Atlantis"})
    assert done.returncode == 2
    assert "Nowhere/Atlantis" in done.stderr
