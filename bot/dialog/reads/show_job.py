"""*show job 1004*: a job's status, type, customer, priority and summary, why it is canceled or on hold,
and its appointments with their technicians."""

from __future__ import annotations

from typing import Any

from bot.dialog.reads.common import Answer, ReadContext, technicians_on
from bot.dialog.reads.text import appointment_row, plain
from bot.dialog.refdata import collect, maybe, together

INTENT = "show_job"
NEEDS_JOB = True


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    job_id = int(slots["job_id"])
    client = ctx.client
    job = await maybe(client.get_job(job_id))
    if job is None:
        return {"title": f"Job {job_id}", "text": f"I can't find job {job_id} in ServiceTitan.", "rows": []}
    types, customer, appointments, assignments, why = await together(
        ctx.refdata.reference_names("job_types"),
        maybe(client.get_customer(job.customer_id)),
        collect(client.iter_appointments(job_id=job_id)),
        collect(client.iter_appointment_assignments(job_id=job_id)),
        _why(ctx, job_id, job.job_status),
    )
    facts = [
        ("Status", job.job_status),
        ("Type", types.get(job.job_type_id, f"#{job.job_type_id}")),
        ("Customer", f"{customer.name} (#{customer.id})" if customer else f"#{job.customer_id}"),
        ("Priority", job.priority),
    ]
    if job.summary:
        facts.append(("Summary", plain(job.summary)[:200]))
    text = ""
    if why is not None:
        label, told = why
        facts.append((label, told))
        text = f"{'Canceled' if label == 'Why canceled' else 'On hold'}: {told}"
    names = technicians_on(assignments)
    rows = [
        appointment_row(a, tz=ctx.tz, names=names.get(int(a["id"]), []))
        for a in sorted(appointments, key=lambda a: a["start"])
    ]
    title = f"Job {job.id} · {types.get(job.job_type_id, 'job')} · {job.job_status}"
    return {"title": title, "facts": facts, "rows": rows, "text": text}


async def _why(ctx: ReadContext, job_id: int, status: str) -> tuple[str, str] | None:
    """("Why canceled" | "Why on hold", the reason and the memo) for a canceled or held job, else None."""
    client = ctx.client
    if status == "Canceled":
        reasons, logs = await together(
            client.get_job_cancel_reasons([job_id]), collect(client.iter_job_canceled_logs(job_id))
        )
        memo = next((str(row.get("memo")) for row in reversed(logs) if row.get("memo")), "")
        reason = reasons[-1].name if reasons else "no reason recorded"
        return "Why canceled", reason + (f" — “{memo}”" if memo else "")
    if status == "Hold":
        # The 2025 API has no read of a job's hold reason; its history has the hold with a memo.
        history = await client.get_job_history(job_id)
        holds = [h for h in history if _is_hold_event(h.event_type)]
        latest = max(holds, key=lambda h: h.date) if holds else None
        if latest is None or not latest.memo:
            return "Why on hold", "no reason in the job's history"
        reason_names = [str(r["name"]) for r in await ctx.refdata.reference("hold_reasons")]
        reason, memo = split_reason(latest.memo, reason_names)
        return "Why on hold", f"{reason} — “{memo}”" if reason and memo else reason or memo
    return None


def _is_hold_event(event_type: str) -> bool:
    words = event_type.casefold()
    return "hold" in words and "remov" not in words


def split_reason(memo: str, reason_names: list[str]) -> tuple[str, str]:
    """A hold/cancel history memo as (reason, the user's words): "Waiting for parts: compressor" -> both;
    a memo that starts with no known reason is all words."""
    text = memo.strip()
    for name in sorted(reason_names, key=len, reverse=True):
        if name and text.casefold().startswith(name.casefold()):
            rest = text[len(name) :].lstrip(" :—-").strip()
            return name, rest
    return "", text
