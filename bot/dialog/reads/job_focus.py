"""A technician's questions about one job (the one just shown, or one named): *how do i get there* (the address
and a maps link the bot builds from it), *whats the customer's phone*, *who do i call about it* (the office, and who there assigned it). Parts of *show job N*
(bot/dialog/reads/show_job.py), each answered on its own. (*Who else is on it* is the job's visits with their
technicians: bot/dialog/reads/list_appointments.py.)"""

from __future__ import annotations

from urllib.parse import quote

from bot.dialog.reads.common import Answer

FOCUSES = frozenset({"directions", "phone", "contact"})
MAPS = "https://www.google.com/maps/dir/?api=1&destination="


def maps_link(address: str) -> str:
    """Directions to the address in Google Maps: every character of the address percent-encoded, so nothing
    in it (spaces, `&`, `<`, `|`) changes the link or reaches Slack as markup."""
    return MAPS + quote(address, safe="")


def answer(
    focus: str,
    job_id: int,
    *,
    address: str,
    has_address: bool,
    customer: str,
    dispatchers: tuple[str, ...] = (),
    changed_by: str = "",
) -> Answer:
    if focus == "directions":
        facts = [("Address", address)]
        if has_address:
            facts.append(("Directions", maps_link(address)))
        return {"title": f"Getting to job {job_id}", "facts": facts, "rows": [], "job_id": job_id}
    if focus == "phone":
        text = (
            f"I can't see customers' phone numbers: ServiceTitan keeps them in the customer's contacts, which I "
            f"don't read. The customer on job {job_id} is {customer}; their number is on the job in the "
            "ServiceTitan mobile app, or ask the office."
        )
        return {"title": f"Customer of job {job_id}", "text": text, "rows": [], "job_id": job_id}
    if focus == "contact":  # "who do i call about it": the office, and who there handled the job
        said = [f"Call the office about job {job_id}."]
        if dispatchers:
            said.append(f"{' and '.join(dispatchers)} assigned its visits in ServiceTitan.")
        if changed_by:
            said.append(f"{changed_by} changed it through me last.")
        said.append(f"Running late? Say *running late to job {job_id}* and I'll tell them.")
        return {
            "title": f"Who to call about job {job_id}",
            "text": " ".join(said),
            "rows": [],
            "job_id": job_id,
        }
    raise ValueError(f"no such focus: {focus}")
