"""*find projects starting next month*: projects by id, by job, or by start and target completion dates."""

from __future__ import annotations

from typing import Any

from bot.dialog import timefmt
from bot.dialog.reads.common import MAX_READ_ROWS, Answer, ReadContext, day_span
from bot.dialog.refdata import as_row, collect, maybe

INTENT = "find_projects"
NEEDS_JOB = False

Row = dict[str, Any]


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    if slots.get("project_id") is not None:
        project = await maybe(ctx.client.get_project(int(slots["project_id"])))
        projects = [as_row(project)] if project else []
    else:
        filters: dict[str, Any] = {}
        if slots.get("job_id") is not None:
            filters["job_id"] = int(slots["job_id"])
        starts = day_span(slots.get("starts"), ctx.tz)
        if starts:
            filters["starts_on_or_after"], filters["starts_before"] = starts
        completes = day_span(slots.get("completes"), ctx.tz)
        if completes:
            filters["target_completion_date_on_or_after"], filters["target_completion_date_before"] = (
                completes
            )
        projects = await collect(ctx.client.iter_projects(**filters), MAX_READ_ROWS)
    title = "Projects"
    status = str(slots.get("project_status") or "")
    if status:
        # ServiceTitan's status filter takes a status id, not its name: filtered here by name
        projects = [p for p in projects if str(p.get("status") or "").casefold() == status.casefold()]
        title = f"Projects {status.casefold()}"
    if slots.get("project"):
        named = {int(p["id"]) for p in await ctx.refdata.names.projects_named(str(slots["project"]))}
        projects = [p for p in projects if int(p["id"]) in named]
        title += f" named “{slots['project']}”"
    return {"title": f"{title} ({len(projects)})", "rows": [project_row(p) for p in projects]}


def project_row(project: Row) -> str:
    name = project.get("name") or f"Project {project.get('number')}"
    parts = [f"Project {project['id']} · {name}", str(project.get("status") or "no status")]
    # Project dates are calendar dates sent as midnight UTC: show that date, not a shifted local one.
    if project.get("start_date"):
        parts.append(f"starts {timefmt.short_day(timefmt.parse_iso(project['start_date']))}")
    if project.get("target_completion_date"):
        parts.append(f"due {timefmt.short_day(timefmt.parse_iso(project['target_completion_date']))}")
    jobs = project.get("job_ids") or []
    if jobs:
        parts.append(f"jobs {', '.join(str(j) for j in jobs[:6])}")
    return " · ".join(parts)
