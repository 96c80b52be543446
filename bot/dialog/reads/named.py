"""The names a look-up is about, as ServiceTitan ids: a technician or a customer ("jobs for Barbara White"),
a location by street, a project by name, a job type or business unit by any of its words.

Each returns a `Named`: the filter to apply and how the title says it, or a question (a choice between the
people or projects that match, answered by picking one: the read runs again with the picked id), or why
it couldn't be applied. A name that could be a technician or a customer is looked up as both; the user
is asked only when both match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.dialog import rules
from bot.dialog.people import active_rows, groups_problem, is_mention, names_me
from bot.dialog.reads.common import Answer, ReadContext, technician_id
from bot.dialog.refdata import address_text, words_match

Row = dict[str, Any]
MAX_OPTIONS = 10


@dataclass
class Named:
    filters: dict[str, Any] = field(default_factory=dict)
    title: str = ""  # " for Barbara White", " in Whole-home repipe"
    ask: Answer | None = None  # a choice to answer first, or the reason nothing can be looked up
    note: str = ""  # a filter that could not be applied, said with the answer
    keep: dict[str, Any] = field(default_factory=dict)  # client-side filters (several job types)


def choice(title: str, prompt: str, options: list[tuple[dict[str, Any], str]]) -> Answer:
    """An answer that asks which one was meant: each option's value is the slots the read runs again with."""
    return {
        "title": title,
        "rows": [],
        "text": prompt,
        "choice": {
            "prompt": prompt,
            "options": [[json.dumps(v, sort_keys=True), label] for v, label in options[:MAX_OPTIONS]],
        },
    }


async def person(ctx: ReadContext, slots: dict[str, Any], *, customers: bool, title: str) -> Named:
    """The technician (or, when `customers`, the customer) a read is about."""
    if slots.get("groups"):  # "jobs for <!everyone>": no one person, so no answer without the filter
        return Named(ask={"title": title, "text": groups_problem(list(slots["groups"])), "rows": []})
    if slots.get("customer_id") is not None:
        record = await ctx.refdata.record("customer", int(slots["customer_id"]))
        name = record["name"] if record else f"customer #{slots['customer_id']}"
        return Named({"customer_id": int(slots["customer_id"])}, f" for {name}")
    if slots.get("phone"):
        people = await ctx.refdata.names.customers(str(slots["phone"]))
        if len(people) == 1:
            return Named({"customer_id": int(people[0]["id"])}, f" for {people[0]['name']}")
        if people:
            return Named(
                ask=choice(title, f"Which customer with “{slots['phone']}”?", _customer_options(people))
            )
        return Named(
            ask={"title": title, "text": f"No customer has the phone number “{slots['phone']}”.", "rows": []}
        )
    name = str(slots.get("technician") or slots.get("customer") or "")
    if slots.get("technician_id") is not None or ctx.args.get("technician_id") is not None or not name:
        tech, problem = await technician_id(ctx, slots)
        if problem:
            return Named(ask={"title": title, "text": problem, "rows": []})
        if tech is None:
            return Named()
        names = await ctx.refdata.reference_names("technicians")
        return Named({"technician_id": tech}, f" for {names.get(tech, f'technician {tech}')}")
    if names_me(name) or is_mention(name):
        tech, problem = await technician_id(ctx, slots)
        return Named(ask={"title": title, "text": problem or "", "rows": []})
    techs = active_rows(await ctx.refdata.reference("technicians"))
    match = rules.match_technician(name, techs) if slots.get("technician") else None
    tech_rows = (
        [] if match is None or match.kind == "none" else [match.row] if match.kind == "one" else match.rows
    )
    people = await ctx.refdata.names.customers(name) if customers else []
    if len(tech_rows) == 1 and not people:
        row = tech_rows[0]
        return Named({"technician_id": int(row["id"])}, f" for {row['name']}")
    if len(people) == 1 and not tech_rows:
        return Named({"customer_id": int(people[0]["id"])}, f" for {people[0]['name']}")
    options = [({"technician_id": int(t["id"])}, f"{t['name']} (technician)") for t in tech_rows]
    options += _customer_options(people)
    if options:
        return Named(ask=choice(title, f"Which “{name}” did you mean?", options))
    who = "technician or customer" if customers else "active technician"
    return Named(ask={"title": title, "text": f"No {who} matches “{name}”.", "rows": []})


def _customer_options(people: list[Row]) -> list[tuple[dict[str, Any], str]]:
    return [
        ({"customer_id": int(c["id"])}, f"{c['name']} (customer, {address_text(c.get('address'))})"[:75])
        for c in people
    ]


async def location(ctx: ReadContext, street: str, title: str) -> Named:
    found = await ctx.refdata.names.locations(street)
    if len(found) == 1:
        return Named({"location_id": int(found[0]["id"])}, f" at {address_text(found[0].get('address'))}")
    if found:
        options = [
            ({"location_id": int(r["id"])}, f"{address_text(r.get('address'))} ({r.get('name')})"[:75])
            for r in found
        ]
        return Named(ask=choice(title, f"Which address on “{street}”?", options))
    return Named(ask={"title": title, "text": f"I can't find a customer location on “{street}”.", "rows": []})


async def project(ctx: ReadContext, name: str, title: str) -> Named:
    found = await ctx.refdata.names.projects_named(name)
    if len(found) == 1:
        return Named({"project_id": int(found[0]["id"])}, f" in project {found[0]['name']}")
    if found:
        options = [
            ({"project_id": int(p["id"])}, f"{p['name']} ({p.get('status') or 'no status'})") for p in found
        ]
        return Named(ask=choice(title, f"Which project did you mean by “{name}”?", options))
    return Named(ask={"title": title, "text": f"I can't find a project named “{name}”.", "rows": []})


async def kind(ctx: ReadContext, words: str) -> Named:
    """A job type (any of its words: "furnace" is Furnace Repair and Furnace Maintenance) or a business unit."""
    types = [
        t for t in active_rows(await ctx.refdata.reference("job_types")) if words_match(words, str(t["name"]))
    ]
    if len(types) == 1:
        return Named({"job_type_id": int(types[0]["id"])}, f" · {types[0]['name']}")
    if types:
        names = ", ".join(str(t["name"]) for t in types)
        return Named(keep={"job_type_ids": [int(t["id"]) for t in types]}, title=f" · {names}")
    units = [
        u
        for u in active_rows(await ctx.refdata.reference("business_units"))
        if words_match(words, str(u["name"]))
    ]
    if len(units) == 1:
        return Named({"business_unit_id": int(units[0]["id"])}, f" · {units[0]['name']}")
    if units:
        return Named(
            keep={"business_unit_ids": [int(u["id"]) for u in units]},
            title=" · " + ", ".join(str(u["name"]) for u in units),
        )
    return Named(note=f"No job type or business unit is called “{words}”, so I didn't filter by it.")
