""" "Did you mean…" in the console demo: the readings drawn as [N] buttons, typing N goes on as if the request
had been typed (nothing written before the card's confirm), and Something else / not understood name only
jobs of the demo data."""

from __future__ import annotations

import re

from tests.demo.conftest import Demo, number_of


def _scheduled_job(d: Demo) -> int:
    return min(job_id for job_id, job in d.state.jobs.items() if job["jobStatus"] == "Scheduled")


def _job_ids(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\bjob (\d+)", text)}


def test_pressing_a_reading_goes_on_as_if_typed(demo: Demo) -> None:  # noqa: F811
    job = _scheduled_job(demo)
    writes = demo.world.simulator.write_count
    shown = demo.type(f"{job} is off the books")
    assert "Did you mean…" in shown
    cancel = number_of(shown, f"Cancel job {job}")
    number_of(shown, "Something else")
    asked = demo.type(cancel)
    assert "Why is it being canceled?" in asked
    card = demo.type("duplicate booking")
    assert f"Cancel job {job}?" in card
    assert demo.world.simulator.write_count == writes  # nothing written before the card's confirm
    assert demo.state.jobs[job]["jobStatus"] == "Scheduled"
    done = demo.type(number_of(card, "Cancel job"))
    assert f"Canceled job {job}" in done
    assert demo.state.jobs[job]["jobStatus"] == "Canceled"


def test_something_else_and_not_understood_name_jobs_of_the_demo_data(demo: Demo) -> None:  # noqa: F811
    not_understood = demo.type("what's the weather like on mars")
    assert "didn't understand" in not_understood
    shown = demo.type(f"put a rush on {_scheduled_job(demo)}")
    examples = demo.type(number_of(shown, "Something else"))
    assert "own words" in examples
    named = _job_ids(not_understood) | _job_ids(examples)
    assert _job_ids(not_understood) and len(_job_ids(examples)) >= 3
    assert named <= set(demo.state.jobs), named - set(demo.state.jobs)
