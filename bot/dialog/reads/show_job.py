"""*show job 1004*, *show appointment 5040*, *special instructions on 1030*, *whats the address for 1024*,
*who canceled job 1006*: what a dispatcher and a technician need about a job. Its status and why (the
hold or cancel reason and memo, who and when), type, customer, address, priority and summary, and each
appointment with its technicians and special instructions.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.subscriptions import actor_of, bot_writer_at
from bot.dialog import timefmt
from bot.dialog.messages import mention
from bot.dialog.reads import job_focus, since
from bot.dialog.reads.common import Answer, ReadContext, technicians_on
from bot.dialog.reads.text import appointment_row, plain
from bot.dialog.refdata import address_text, collect, maybe, together

INTENT = "show_job"
NEEDS_JOB = True  # a job id, or an appointment id (read_lookup asks when neither is given)

Row = dict[str, Any]


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    client = ctx.client
    shown_appointment: int | None = None
    if slots.get("job_id") is None and slots.get("appointment_id") is not None:
        shown_appointment = int(slots["appointment_id"])
        appt = await maybe(client.get_appointment(shown_appointment))
        if appt is None:
            text = f"I can't find appointment {shown_appointment} in ServiceTitan."
            return {"title": f"Appointment {shown_appointment}", "text": text, "rows": []}
        job_id = appt.job_id
    else:
        job_id = int(slots["job_id"])
    job = await maybe(client.get_job(job_id))
    if job is None:
        return {"title": f"Job {job_id}", "text": f"I can't find job {job_id} in ServiceTitan.", "rows": []}
    if slots.get("focus") == "since":  # "how long has it been like that"
        return await since.answer(ctx, job)
    types, customer, location, appointments, assignments, why = await together(
        ctx.refdata.reference_names("job_types"),
        ctx.refdata.record("customer", job.customer_id),
        ctx.refdata.record("location", job.location_id),
        collect(client.iter_appointments(job_id=job_id)),
        collect(client.iter_appointment_assignments(job_id=job_id)),
        _why(ctx, job_id, job.job_status),
    )
    address = address_text(location.get("address") if location else None)
    kind = types.get(job.job_type_id, f"#{job.job_type_id}")
    appointments.sort(key=lambda a: a["start"])
    names = technicians_on(assignments)
    focus = str(slots.get("focus") or "")
    if focus == "address":
        return {"title": f"Job {job.id}", "facts": [("Address", address)], "rows": [], "job_id": job.id}
    if focus == "instructions":
        return _instructions(job.id, appointments, shown_appointment)
    if focus in job_focus.FOCUSES:  # "how do i get there", "the customer's phone"
        who = f"{customer['name']} (#{job.customer_id})" if customer else f"customer #{job.customer_id}"
        has_address = bool(location and location.get("address"))
        return job_focus.answer(
            focus,
            job.id,
            address=address,
            has_address=has_address,
            customer=who,
            **(await _contacts(ctx, job.id, assignments) if focus == "contact" else {}),
        )
    facts = [
        ("Status", job.job_status),
        ("Type", kind),
        ("Customer", f"{customer['name']} (#{job.customer_id})" if customer else f"#{job.customer_id}"),
        ("Address", address),
        ("Priority", job.priority),
    ]
    if job.summary:
        facts.append(("Summary", plain(job.summary)[:300]))
    text = ""
    if why is not None:
        label, told = why
        facts.insert(1, (label, told))
        text = f"{'Canceled' if label == 'Why canceled' else 'On hold'}: {told}"
    rows = []
    for a in appointments:
        row = appointment_row(a, tz=ctx.tz, names=names.get(int(a["id"]), []))
        row = f"Appointment {a['id']}: {row}"
        if a.get("special_instructions"):
            row += f" · Special instructions: {plain(a['special_instructions'])[:200]}"
        rows.append(f"▶ {row}" if shown_appointment == int(a["id"]) else row)
    title = f"Job {job.id} · {kind} · {job.job_status}"
    if shown_appointment is not None:
        title = f"Appointment {shown_appointment} of job {job.id} · {kind} · {job.job_status}"
    return {"title": title, "facts": facts, "rows": rows, "text": text, "job_id": job.id}


async def _contacts(ctx: ReadContext, job_id: int, assignments: list[Row]) -> dict[str, Any]:
    """Who in the office handled the job: the employees who assigned its visits (ServiceTitan), and the Slack
    user who last changed it through the bot (`bot.alerts.subscriptions.actor_of`)."""
    by = {int(a["assigned_by_id"]) for a in assignments if a.get("assigned_by_id") is not None}
    names = tuple(
        sorted({str(r["name"]) for r in await ctx.refdata.reference("employees") if int(r["id"]) in by})
    )
    slack_user = await actor_of(ctx.refdata.store, job_id)
    try:
        changed_by = mention(slack_user) if slack_user else ""
    except ValueError:  # not a Slack user id: nobody to name
        changed_by = ""
    return {"dispatchers": names, "changed_by": changed_by}


def _instructions(job_id: int, appointments: list[Row], only: int | None) -> Answer:
    """The special instructions of a job's appointments (or of the one asked about)."""
    chosen = [a for a in appointments if only is None or int(a["id"]) == only]
    rows = [
        f"Appointment {a['id']}: {plain(a.get('special_instructions')) or 'none'}"
        for a in chosen
        if a.get("special_instructions") or len(chosen) == 1
    ]
    return {
        "title": f"Special instructions on job {job_id}",
        "rows": rows,
        "empty": f"No special instructions on job {job_id}'s appointments.",
        "job_id": job_id,
    }


async def _why(ctx: ReadContext, job_id: int, status: str) -> tuple[str, str] | None:
    """("Why canceled" | "Why on hold", the reason and memo, by whom and when) for a canceled or held job."""
    client = ctx.client
    if status == "Canceled":
        # The reason's name from the cached reference list by the log's reason id; the job's own cancel
        # reasons are asked for only when there is no log or the reason is no longer in the list.
        logs, names = await together(
            collect(client.iter_job_canceled_logs(job_id)), ctx.refdata.reference_names("cancel_reasons")
        )
        latest = max(logs, key=lambda row: str(row["created_on"])) if logs else None
        memo = str(latest.get("memo") or "") if latest else ""
        reason = names.get(int(latest["reason_id"])) if latest else None
        if reason is None:
            reasons = await client.get_job_cancel_reasons([job_id])
            reason = reasons[-1].name if reasons else "no reason recorded"
        told = reason + (f" — “{memo}”" if memo else "")
        if latest:
            told += await _by_when(ctx, latest.get("created_by_id"), str(latest["created_on"]), job_id)
        return "Why canceled", told
    if status == "Hold":
        # The 2025 API has no read of a job's hold reason; its history has the hold with a memo.
        history = await client.get_job_history(job_id)
        holds = [h for h in history if _is_hold_event(h.event_type)]
        held = max(holds, key=lambda h: h.date) if holds else None
        if held is None or not held.memo:
            return "Why on hold", "no reason in the job's history"
        reason_names = [str(r["name"]) for r in await ctx.refdata.reference("hold_reasons")]
        reason, memo = split_reason(held.memo, reason_names)
        told = f"{reason} — “{memo}”" if reason and memo else reason or memo
        return "Why on hold", told + await _by_when(ctx, held.employee_id, held.date.isoformat(), job_id)
    return None


async def _by_when(ctx: ReadContext, who: Any, when: str, job_id: int) -> str:
    """ " (by Dana Reyes, Tue Nov 24 9:00 AM)": who did it, when ServiceTitan says who; for a change made
    through the bot (stamped with the bot's API user, who is no employee) the Slack user who made it, from
    the bot's record of its writes (bot.alerts.subscriptions.bot_writer_at)."""
    stamp = timefmt.parse_iso(when)
    moment = timefmt.local(stamp, ctx.tz)
    at = f"{timefmt.short_day(moment)} {timefmt.clock(moment)}"
    name = ""
    if who is not None:
        for row in await ctx.refdata.reference("employees"):
            if int(row["id"]) == int(who) or int(row.get("user_id") or 0) == int(who):
                name = str(row["name"])
                break
    if not name:
        slack_user = await bot_writer_at(ctx.refdata.store, job_id, stamp)
        try:
            name = mention(slack_user) if slack_user else ""
        except ValueError:  # not a Slack user id: nobody to name
            name = ""
    return f" (by {name}, {at})" if name else f" ({at})"


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
