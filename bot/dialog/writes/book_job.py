"""Book a job with its first visit: "book a drain cleaning for customer 201 tomorrow at 10am" (no undo)."""

from __future__ import annotations

from bot.dialog import reads, rules, timefmt
from bot.dialog.resolve import Ctx, location_label
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, date_edit
from bot.servicetitan.models import JobAppointmentCreate, JobCreate
from bot.servicetitan.operations import BookJob


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.customer and ctx.location and ctx.job_type and ctx.times and ctx.campaign
    assert ctx.business_unit_id is not None
    t, tech = ctx.times, ctx.technician
    priority = rules.normalize_priority(str(p.slots.get("priority") or "")) or "Normal"
    summary = str(p.slots["summary"]) if p.slots.get("summary") else None
    job = JobCreate(
        customer_id=int(ctx.customer["id"]),
        location_id=int(ctx.location["id"]),
        business_unit_id=ctx.business_unit_id,
        job_type_id=int(ctx.job_type["id"]),
        priority=priority,
        campaign_id=int(ctx.campaign["id"]),
        summary=summary,
        appointments=[
            JobAppointmentCreate(
                start=t.start,
                end=t.end,
                arrival_window_start=t.window_start,
                arrival_window_end=t.window_end,
                technician_ids=[int(tech["id"])] if tech else None,
            )
        ],
    )
    changes = [
        ("Job type", "—", str(ctx.job_type["name"])),
        ("Visit", "—", timefmt.span(t.start, t.end, ctx.tz)),
        ("Priority", "—", priority),
    ]
    if tech:
        changes.append(("Technician", "—", str(tech["name"])))
    if summary:
        changes.append(("Summary", "—", summary))
    return Plan(
        operation=BookJob(job=job),
        title=f"Book {ctx.job_type['name']} for {ctx.customer['name']}?",
        verb="Book job",
        done_text=f"Booked {ctx.job_type['name']} for {ctx.customer['name']} on {timefmt.span(t.start, t.end, ctx.tz)}.",
        facts=[
            ("Customer", f"{ctx.customer['name']} (#{ctx.customer['id']})"),
            ("Location", location_label(ctx.location)),
            ("Address", reads.address_text(ctx.location.get("address"))),
            ("Campaign", str(ctx.campaign.get("name"))),
        ],
        changes=changes,
        warnings=ctx.warnings,
        date_edit=date_edit(t, ctx.tz),
    )


WRITE = Write(
    intent="book_job",
    steps=(
        "customer",
        "location",
        "job_type",
        "when",
        "technician?",
        "business_unit",
        "campaign",
        "conflicts",
    ),
    correctable=("when", "technician", "priority", "job_type"),
    questions={"when": ("When should the visit be?", "tomorrow between 8 and 10")},
    doing="booking a job",
    done="booked",
    say="Book a job{for_customer}{on_when}",
    plan=plan,
    operations=(BookJob,),
    no_undo="to call it off, cancel the new job (e.g. *cancel job N, booked by mistake*)",
)
