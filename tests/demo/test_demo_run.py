"""The console demo end to end: the real dialog, renderer, client and simulator, driven through a pipe.

The in-process runs feed a script through `run_console` (what `run_demo` runs) and then look at the
simulator's data; one run starts `python -m bot demo` as a process and talks to it over its stdin.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.demo.console import converse, open_demo, run_console, run_demo
from tests.demo.conftest import TZ, ZONE, Demo, number_of, running_clock


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def next_weekday(name: str, after: date) -> date:
    """The CONTRACT's bare weekday: its next occurrence after `after`."""
    index = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(name)
    days = (index - after.weekday()) % 7 or 7
    return after + timedelta(days=days)


def last_turn(transcript: str) -> str:
    return transcript.rsplit("\n> ", 1)[-1]


def test_banner_offers_sentences_with_real_job_ids(demo: Demo) -> None:
    out = io.StringIO()
    run_console(demo.runner, demo.world, stdin=io.StringIO(""), stdout=out, tz=TZ, clock=demo.clock)
    transcript = out.getvalue()
    assert "You are Dana Reyes, dispatcher (ServiceTitan role: Dispatch)" in transcript
    assert "  Hi Dana Reyes. You're a dispatcher" in transcript  # the App Home, drawn
    examples = demo.world.examples
    assert len(examples) == 3
    for example in examples:
        assert f"    {example}\n" in transcript
    assert "`help`" in transcript

    # Each one works on the data being served.
    reschedule, assign, show = examples
    job_id = int(re.fullmatch(r"reschedule job (\d+) to \w+day", reschedule).group(1))  # type: ignore[union-attr]
    assert f"Reschedule job {job_id}?" in demo.type(reschedule, "cancel")
    job_id = int(re.fullmatch(r"assign Mike to job (\d+)", assign).group(1))  # type: ignore[union-attr]
    assert not demo.technician_ids(job_id) & {
        demo.technician_id("Mike Carter"),
        demo.technician_id("Mike Chen"),
    }
    assert "Which technician did you mean by “Mike”?" in demo.type(assign, "cancel")
    job_id = int(re.fullmatch(r"show job (\d+)", show).group(1))  # type: ignore[union-attr]
    assert demo.state.jobs[job_id]["jobStatus"] == "Canceled"
    assert "Why canceled: " in demo.type(show)


def test_reschedule_from_sentence_to_confirmed_change(demo: Demo) -> None:
    job_id, appointment = demo.reschedulable_job()
    today = local_day(demo.clock())
    target = next_weekday("friday", today)
    if local_day(appointment["start"]) == target:
        target = next_weekday("thursday", today)
    weekday = target.strftime("%A").lower()
    old_start = appointment["start"]
    day_shown = f"{target.strftime('%A, %B')} {target.day}"  # "Friday, November 27"

    card = demo.type(f"reschedule job {job_id} to {weekday}")
    assert card.startswith(f"> reschedule job {job_id} to {weekday}\n  Reschedule job {job_id}?\n")
    when = next(line for line in card.splitlines() if line.startswith("  When: "))
    assert day_shown in when.split("→")[1]
    assert demo.button("confirm") == "1" and demo.button("abandon") == "2"
    assert "Times in America/Chicago" in card
    assert demo.appointments(job_id)[0]["start"] == old_start  # nothing written before confirming

    result = demo.type("1")
    assert f"Done. Rescheduled job {job_id} to {day_shown}" in result
    moved = demo.appointments(job_id)[0]
    assert local_day(moved["start"]) == target
    assert moved["start"].astimezone(ZONE).time() == old_start.astimezone(ZONE).time()  # time kept
    assert moved["end"] - moved["start"] == appointment["end"] - appointment["start"]  # duration kept


def test_choice_between_two_technicians(demo: Demo) -> None:
    job_id, _ = demo.reschedulable_job()
    carter, chen = demo.technician_id("Mike Carter"), demo.technician_id("Mike Chen")
    before = demo.technician_ids(job_id)
    assert not before & {carter, chen}

    choice = demo.type(f"assign Mike to job {job_id}")
    assert "Which technician did you mean by “Mike”?" in choice
    number_of(choice, "Mike Carter")  # both are offered, each with a number
    card = demo.type(number_of(choice, "Mike Chen"))
    assert f"Assign Mike Chen to job {job_id}?" in card
    assert demo.technician_ids(job_id) == before  # still only a confirmation

    result = demo.type(demo.button("confirm"))
    assert f"Done. Assigned Mike Chen to job {job_id}" in result
    assert demo.technician_ids(job_id) == before | {chen}


def test_correction_before_confirming(demo: Demo) -> None:
    job_id, appointment = demo.reschedulable_job()
    today = local_day(demo.clock())
    friday, thursday = next_weekday("friday", today), next_weekday("thursday", today)

    first = demo.type(f"reschedule job {job_id} to friday")
    assert f"→ Friday, November {friday.day}" in first
    corrected = demo.type("no, thursday")
    assert f"Reschedule job {job_id}?" in corrected
    assert f"→ Thursday, November {thursday.day}" in corrected
    assert demo.appointments(job_id)[0]["start"] == appointment["start"]

    demo.type(demo.button("confirm"))
    assert local_day(demo.appointments(job_id)[0]["start"]) == thursday


def test_correction_with_the_date_picker(demo: Demo) -> None:
    job_id, appointment = demo.reschedulable_job()
    target = local_day(demo.clock()) + timedelta(days=9)
    card = demo.type(f"reschedule job {job_id} to friday")
    corrected = demo.type(f"{number_of(card, 'Pick a date')} {target.isoformat()}")
    assert f"→ {target.strftime('%A, %B')} {target.day}" in corrected
    demo.type(demo.button("confirm"))
    moved = demo.appointments(job_id)[0]
    assert local_day(moved["start"]) == target
    assert moved["start"].astimezone(ZONE).time() == appointment["start"].astimezone(ZONE).time()


def test_cancel_before_confirming_changes_nothing(demo: Demo) -> None:
    job_id, appointment = demo.reschedulable_job()
    writes = demo.world.simulator.write_count
    answer = last_turn(demo.type(f"reschedule job {job_id} to friday", "cancel"))
    assert answer.startswith("cancel\n  OK, I won't reschedule job")
    assert "Nothing was changed." in answer
    # The card's abandon button does the same.
    demo.type(f"reschedule job {job_id} to friday")
    answer = demo.type(demo.button("abandon"))
    assert "Nothing was changed." in answer
    assert demo.world.simulator.write_count == writes
    assert demo.appointments(job_id)[0]["start"] == appointment["start"]


def test_cancel_a_job_with_a_reason_from_the_menu(demo: Demo) -> None:
    job_id, _ = demo.reschedulable_job()
    menu = demo.type(f"cancel job {job_id}, no longer needed")  # words of no reason: the menu
    card = demo.type(number_of(menu, "Customer canceled"))
    assert f"Cancel job {job_id}?" in card
    assert "Status: Scheduled → Canceled" in card
    assert demo.state.jobs[job_id]["jobStatus"] == "Scheduled"

    result = demo.type(demo.button("confirm"))
    assert f"Done. Canceled job {job_id} (Customer canceled)" in result
    assert demo.state.jobs[job_id]["jobStatus"] == "Canceled"
    log = demo.state.latest_cancel_log(job_id)
    assert log is not None and demo.state.job_cancel_reasons[log["reasonId"]]["name"] == "Customer canceled"


def test_the_manager_can_be_picked(demo: Demo) -> None:
    world = demo.runner.run(open_demo(load_settings(_env_file=None), user="Morgan Blake", clock=demo.clock))
    demo.runner.run(world.aclose())
    assert (world.asker.role, world.asker.technician_id, world.asker.name) == (
        "manager",
        None,
        "Morgan Blake",
    )


def test_a_technician_sees_their_day_and_examples_of_their_own() -> None:
    clock = running_clock()
    with asyncio.Runner() as runner:
        world = runner.run(
            open_demo(load_settings(st_timezone=TZ, _env_file=None), user="mike carter", clock=clock)
        )
        try:
            carter = next(
                t["id"] for t in world.simulator.state.technicians.values() if t["name"] == "Mike Carter"
            )
            assert (world.asker.role, world.asker.technician_id) == ("technician", carter)
            out = io.StringIO()
            run_console(runner, world, stdin=io.StringIO(""), stdout=out, tz=TZ, clock=clock)
            assert "You are Mike Carter, technician (ServiceTitan role: Technician)" in out.getvalue()
            assert "  Hi Mike Carter · today" in out.getvalue()
            day, week, show = world.examples
            assert (day, week) == ("my appointments today", "my appointments this week")
            job_id = int(show.removeprefix("show job "))
            appointments = world.simulator.state.job_appointments(job_id)
            assert any(
                assignment["technicianId"] == carter
                for appointment in appointments
                for assignment in world.simulator.state.active_assignments(appointment["id"])
            )
            console = world.console(io.StringIO(), clock=clock)
            converse(runner, console, io.StringIO(f"{week}\n{show}\n"), interactive=False)
            transcript = console.out.getvalue()  # type: ignore[attr-defined]
            assert "Mike Carter" in transcript and f"Job {job_id} · " in transcript
        finally:
            runner.run(world.aclose())


# ---- a real process ----------------------------------------------------------------------------


async def read_until(stream: asyncio.StreamReader, marker: str) -> str:
    """Read lines until one contains `marker` (or the stream ends); fail after 30 seconds."""
    seen: list[str] = []

    async def collect() -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            seen.append(line.decode())
            if marker in seen[-1]:
                return

    await asyncio.wait_for(collect(), 30)
    return "".join(seen)


async def test_python_m_bot_demo_through_a_pipe(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "SLACK_", "ROLE_", "REDIS_"))}
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "demo",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr_file,
            cwd=tmp_path,  # no stray .env
            env=env,
        )
    assert process.stdin and process.stdout
    try:
        banner = await read_until(process.stdout, "quit")
        reschedule = next(
            line.strip() for line in banner.splitlines() if line.strip().startswith("reschedule")
        )
        job_id, weekday = re.fullmatch(r"reschedule job (\d+) to (\w+)", reschedule).groups()  # type: ignore[union-attr]
        process.stdin.write(f"{reschedule}\n1\nshow job {job_id}\n".encode())
        await process.stdin.drain()
        process.stdin.close()
        rest = (await asyncio.wait_for(process.stdout.read(), 60)).decode()
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = stderr_path.read_text()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    turns = ("\n" + rest).split("\n> ")[1:]  # each turn: the echoed line, then the bot's answer
    assert len(turns) == 3, rest
    assert turns[0].startswith(f"{reschedule}\n")
    assert "[1] " in turns[0]
    assert turns[1].startswith("1\n")
    assert turns[2].startswith(f"show job {job_id}\n")
    assert weekday.capitalize()[:3] in turns[2]  # the job's appointment now falls on that weekday


# ---- run_demo itself: seed files, users, errors ------------------------------------------------


def test_run_demo_with_a_seed_file_and_a_technician(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.simulator.demo_data import build_demo_seed

    seed = tmp_path / "tenant.json"
    seed.write_text(json.dumps(build_demo_seed(datetime.now(UTC))))
    out = io.StringIO()
    code = run_demo(
        load_settings(_env_file=None),
        seed=str(seed),
        user="Mike Carter",
        stdin=io.StringIO("show job 1006\nquit\nshow job 1007\n"),
        stdout=out,
    )
    assert code == 0
    transcript = out.getvalue()
    assert f"with the data of {seed}." in transcript
    assert "You are Mike Carter, technician (ServiceTitan role: Technician)" in transcript
    assert "> show job 1006\n  Job 1006 · " in transcript
    assert "> quit\n" in transcript and "show job 1007" not in transcript  # quit ends the session


def test_run_demo_refuses_unknown_users_and_bad_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(_env_file=None)
    out = io.StringIO()
    assert run_demo(settings, user="Nobody Here", stdin=io.StringIO(""), stdout=out) == 2
    assert "no demo user matches --user 'Nobody Here'" in capsys.readouterr().err
    assert run_demo(settings, seed=str(tmp_path / "missing.json"), stdin=io.StringIO(""), stdout=out) == 2
    assert "missing.json" in capsys.readouterr().err
    assert out.getvalue() == ""


def test_run_demo_on_data_without_staff_speaks_as_a_dispatcher(tmp_path: Path) -> None:
    seed = tmp_path / "empty.json"
    seed.write_text("{}")
    out = io.StringIO()
    assert (
        run_demo(load_settings(_env_file=None), seed=str(seed), stdin=io.StringIO("show job 1\n"), stdout=out)
        == 0
    )
    transcript = out.getvalue()
    assert "You are a dispatcher (the data has no staff to speak as)" in transcript
    assert "> show job 1\n" in transcript


class InterruptedInput(io.StringIO):
    """Input whose next read is interrupted by Ctrl-C."""

    def readline(self, *args: Any) -> Any:
        raise KeyboardInterrupt


def test_ctrl_c_while_reading_ends_the_session_cleanly() -> None:
    out = io.StringIO()
    assert run_demo(load_settings(_env_file=None), stdin=InterruptedInput(), stdout=out) == 0
    assert "quit" in out.getvalue()  # the banner was shown, then a clean stop


def test_a_terminal_that_cannot_show_the_marks_or_sends_bad_bytes_does_not_crash_the_demo() -> None:
    raw_out = io.BytesIO()
    stdout = io.TextIOWrapper(raw_out, encoding="ascii")
    stdin = io.TextIOWrapper(io.BytesIO(b"show job 1006\n\xff\xfe what\n"), encoding="utf-8")
    assert run_demo(load_settings(_env_file=None), stdin=stdin, stdout=stdout) == 0
    stdout.flush()
    transcript = raw_out.getvalue().decode("ascii")
    assert "> show job 1006\n  Job 1006 ? " in transcript  # "·" drawn as "?"
    assert "> ?? what\n" in transcript


def test_an_undo_button_stays_pressable_under_a_new_number_after_later_turns(demo: Demo) -> None:
    """A change's result stays in the channel with its Undo button: a read in between leaves its number,
    and a card that draws the same number moves it to a free one, said under that turn."""
    job_id, appointment = demo.reschedulable_job()
    other, _ = demo.reschedulable_job(skip=(job_id,))
    old_start = appointment["start"]
    demo.type(f"reschedule job {job_id} to {next_weekday('friday', local_day(demo.clock())):%m/%d} 7am", "1")
    assert demo.appointments(job_id)[0]["start"] != old_start
    demo.type(f"show job {other}")
    assert demo.button("undo") == "1"  # no buttons drawn since: the same number
    card = demo.type(f"add a note to {other}: gate code 4411")
    assert demo.button("confirm") == "1"
    undo = demo.button("undo")
    assert undo not in {"1", "2"} and f"(still pressable: [{undo}] Undo · Reschedule job {job_id}" in card
    demo.type(undo)  # the undo's own card replaces the note's (said so)
    demo.type(demo.button("confirm"))
    assert demo.appointments(job_id)[0]["start"] == old_start
