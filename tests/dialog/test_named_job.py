"""The job a write names by its customer, address or type (bot/dialog/named_job.py), through resolve."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.dialog import named_job
from bot.dialog.outcomes import AskFor, NeedLoad, Offer, Reject
from bot.dialog.resolve import resolve, write_of
from bot.dialog.state import Load, Pending
from tests.dialog.conftest import TZ, dispatcher

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _pending(intent: str, slots: dict[str, Any], jobs: list[dict[str, Any]]) -> Pending:
    p = Pending(intent=intent, slots=dict(slots))
    refs = Load("references", {"names": "job_types"})
    p.data[refs.key] = {"job_types": []}
    named = Load("named_jobs", named_job.args(p.slots, TZ, write_of(intent)))
    p.data[named.key] = {"who": "Ann Lee", "jobs": jobs}
    return p


def _job(job_id: int, status: str = "Scheduled") -> dict[str, Any]:
    return {"id": job_id, "job_number": str(job_id), "job_status": status, "label": f"Job {job_id}"}


def test_one_open_job_becomes_the_job_and_the_names_are_settled() -> None:
    p = _pending(
        "hold_job", {"customer": "ann lee", "job_type": "drain"}, [_job(1001), _job(1003, "Completed")]
    )
    outcome = resolve(p, dispatcher(), NOW)
    assert isinstance(outcome, NeedLoad) and outcome.load.what == "job"  # job 1001 is read next
    assert p.slots == {"job_id": 1001}


def test_a_job_rejected_later_is_not_picked_again() -> None:
    p = _pending("hold_job", {"customer": "ann lee"}, [_job(1001)])
    resolve(p, dispatcher(), NOW)
    p.data[Load("job", {"job_id": 1001}).key] = {"job": None}
    rejected = resolve(p, dispatcher(), NOW)
    assert isinstance(rejected, Reject) and "job_id" in rejected.clear
    for slot in rejected.clear:
        p.slots.pop(slot, None)
    assert isinstance(resolve(p, dispatcher(), NOW), AskFor)  # "Which job?", not the same job again


def test_several_jobs_are_a_choice_and_none_is_said() -> None:
    offered = resolve(
        _pending("hold_job", {"customer": "ann lee"}, [_job(1001), _job(1002)]), dispatcher(), NOW
    )
    assert isinstance(offered, Offer) and [v for v, _ in offered.options] == ["1001", "1002"]
    none = resolve(_pending("hold_job", {"customer": "ann lee"}, [_job(1006, "Hold")]), dispatcher(), NOW)
    assert isinstance(none, Reject) and "no open job that can be put on hold" in none.problem


def test_one_job_of_a_look_up_cut_short_is_offered_not_taken() -> None:
    p = _pending("hold_job", {"customer": "ann lee"}, [_job(1001)])
    p.data[Load("named_jobs", named_job.args(p.slots, TZ, write_of("hold_job"))).key]["cut_short"] = True
    offered = resolve(p, dispatcher(), NOW)
    assert isinstance(offered, Offer) and [v for v, _ in offered.options] == ["1001"]
    assert "job_id" not in p.slots
