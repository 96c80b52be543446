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
    args: list[str], stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "ST_TIMEZONE"}  # the test's own settings only
    return subprocess.run(
        [sys.executable, "-m", "intents", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_single_text() -> None:
    done = run(
        ["parse", "slide job 4812 over to fri", "--now", "2026-11-24T09:00:00", "--tz", "America/Chicago"]
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [
        {"intent": "reschedule_appointment", "slots": {"job_id": 4812, "when": {"date": "2026-11-27"}}}
    ]


def test_batch_answers_every_line_in_order() -> None:
    requests = [
        json.dumps({"text": "scrap job 7306", "now": "2026-11-24T09:00:00", "tz": "America/Chicago"}),
        "not json",
        "",
        json.dumps({"text": "which jobs got finished this week", "now": "2026-11-24T09:00:00"}),
        json.dumps({"text": "pull up job 808", "tz": "Mars/Olympus"}),
        json.dumps(["a list"]),
        json.dumps({"text": "what can you do"}),
        json.dumps({"text": 42}),
    ]
    done = run(["parse"], stdin="\n".join(requests) + "\n")
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert len(out) == len(requests)
    unknown = {"intent": "unknown", "slots": {}}
    assert out[0] == {"intent": "cancel_job", "slots": {"job_id": 7306}}
    assert out[1] == unknown  # exactly the contract's answer: the problem goes to stderr
    assert out[2] == unknown
    assert out[3] == {
        "intent": "find_jobs",
        "slots": {"status": "completed", "range": {"from": "2026-11-23", "to": "2026-11-29"}},
    }
    assert out[4] == unknown
    assert out[5] == unknown
    assert out[6] == {"intent": "help", "slots": {}}
    assert out[7] == unknown
    problems = done.stderr.splitlines()
    assert len(problems) == 4
    assert problems[0].startswith("intents: line 2:")
    assert "line 5" in problems[1] and "Mars/Olympus" in problems[1]
    assert "line 6" in problems[2] and "line 8" in problems[3]


# 2026-11-24T23:30 UTC is still the 24th in Chicago but already the 25th in Tokyo and Auckland
LATE_REQUEST = json.dumps({"text": "any jobs today", "now": "2026-11-24T23:30:00+00:00"}) + "\n"
CHICAGO_DAY = {"from": "2026-11-24", "to": "2026-11-24"}
NEXT_DAY = {"from": "2026-11-25", "to": "2026-11-25"}


def test_default_zone_comes_from_st_timezone(tmp_path: Path) -> None:
    chicago = lines(run(["parse"], stdin=LATE_REQUEST, cwd=tmp_path).stdout)[0]
    tokyo = lines(run(["parse"], stdin=LATE_REQUEST, env={"ST_TIMEZONE": "Asia/Tokyo"}, cwd=tmp_path).stdout)[
        0
    ]
    assert chicago["slots"]["range"] == CHICAGO_DAY
    assert tokyo["slots"]["range"] == NEXT_DAY


def test_default_zone_comes_from_dot_env_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-test\nST_TIMEZONE=Pacific/Auckland\n", encoding="utf-8"
    )
    from_file = lines(run(["parse"], stdin=LATE_REQUEST, cwd=tmp_path).stdout)[0]
    assert from_file["slots"]["range"] == NEXT_DAY
    single = run(["parse", "jobs today", "--now", "2026-11-24T23:30:00+00:00"], cwd=tmp_path)
    assert lines(single.stdout)[0]["slots"]["range"] == NEXT_DAY
    # the environment wins over the file, as in the bot's settings
    chicago = run(["parse"], stdin=LATE_REQUEST, env={"ST_TIMEZONE": "America/Chicago"}, cwd=tmp_path)
    assert lines(chicago.stdout)[0]["slots"]["range"] == CHICAGO_DAY


def test_a_bad_zone_in_dot_env_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ST_TIMEZONE=Nowhere/Lemuria\n", encoding="utf-8")
    done = run(["parse"], stdin='{"text": "what can you do"}\n', cwd=tmp_path)
    assert done.returncode == 2
    assert "Nowhere/Lemuria" in done.stderr


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
        for text, intent in (("scrap job 7306", "cancel_job"), ("what can you do", "help")):
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
    done = run(["parse", "what can you do", "--tz", "Nowhere/Atlantis"])
    assert done.returncode == 2
    assert "Nowhere/Atlantis" in done.stderr
    done = run(["parse", "what can you do", "--now", "yesterday-ish"])
    assert done.returncode == 2


def test_repl() -> None:
    script = ":now 2026-11-24T09:00:00\nscrap job 7306\n:slot when friday 2pm\n:tz Nowhere/X\n:quit\n"
    done = run(["repl"], stdin=script)
    assert done.returncode == 0
    assert '"cancel_job"' in done.stdout
    assert '{"date": "2026-11-27", "start": "14:00"}' in done.stdout
    assert "error:" in done.stdout
    assert run([], stdin="what can you do\n").returncode == 0


def test_a_bad_st_timezone_is_reported_not_a_crash() -> None:
    done = run(["parse"], stdin='{"text": "what can you do"}\n', env={"ST_TIMEZONE": "Nowhere/Atlantis"})
    assert done.returncode == 2
    assert "Nowhere/Atlantis" in done.stderr
