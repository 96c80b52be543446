"""What a look-up says besides what the intent parser reads: the filters a dispatcher puts in words.

The parser (intents/, the one home for reading text) gives a read's contract slots (CONTRACT section 2),
and a few more where the dialog needs them: `show_job` with `appointment_id` ("show appointment 5040"),
`list_appointments` with `start`/`end` ("whos free tmrw afternoon"), `find_jobs` with a `project` or a
`customer` by name. Filters it has no slot for would be silently dropped ("projects *in progress*",
"*unassigned* jobs", "*who's free*"). `refine` adds them as the read's own slots, which the reads in this
package apply (or say they couldn't):

| slot | read | from |
|---|---|---|
| `status` | find_jobs | "show me everything on hold" when the parser read no request |
| `technician` | find_jobs | a `customer` name not said as one ("jobs for Sarah Lopez"): looked up as both |
| `unassigned` | find_jobs, list_appointments | "unassigned", "not assigned", "no tech" |
| `location` | find_jobs | "at 396 Hillcrest" (street words); "whats going on at 507 oak st" |
| `kind` | find_jobs | words before "jobs" that are no status ("furnace repair jobs", "plumbing jobs"), or before "one" with a day ("the furnace one on sunday") |
| `by_reason` | find_jobs | "cancellations by reason" |
| `by_who` | find_jobs | "who canceled the most", "holds by person", "whos been putting jobs on hold" |
| `done_by` | find_jobs | "how many jobs did dana cancel", "holds by dana reyes": who canceled or held |
| `reason` | find_jobs | "canceled for price reasons", "which ones were price too high" (reads/reasons.py) |
| `priority` | find_jobs | "high priority jobs", "urgent jobs" |
| `phone` | find_jobs | "jobs for 555-2008" (a customer's phone number or its end) |
| `project_status` / `project` | find_projects | "in progress", "not started", "completed"; "the X project" |
| `free` | list_appointments | "who's free tomorrow afternoon" (the parser gives the days and hours) |
| `next` | list_appointments | "my next job" |
| `focus` | show_job | "special instructions on 1030", "address for" |
| `overview` / `customer` | find_jobs | "whats going on with the garcias", "anything for lakeside dental next week" (with `range`) |
| `groups` | find_jobs, list_appointments | "jobs for <!everyone>", "<#C123>": mentions that name no one (not answered) |

Pure functions of the text, `now` and the zone.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.dialog.people import slack_groups
from bot.dialog.reads import reasons
from intents import parse_slot

# Words that may stand before "jobs" without naming a kind of job
_NOT_KINDS = frozenset(
    [
        "find",
        "show",
        "list",
        "get",
        "see",
        "check",
        "pull",
        "up",
        "give",
        "me",
        "any",
        "all",
        "the",
        "my",
        "our",
        "open",
        "scheduled",
        "upcoming",
        "most",
        "canceled",
        "cancelled",
        "completed",
        "complete",
        "finished",
        "done",
        "held",
        "hold",
        "on",
        "active",
        "current",
        "pending",
        "unassigned",
        "assigned",
        "new",
        "old",
        "recent",
        "today's",
        "tomorrow's",
        "todays",
        "tomorrows",
        "this",
        "next",
        "last",
        "week's",
        "weeks",
        "what",
        "which",
        "are",
        "is",
        "there",
        "how",
        "many",
        "of",
        "for",
        "in",
        "a",
        "an",
        "some",
        "booked",
        "remaining",
        "outstanding",
        "whats",
        "what's",
        "please",
        "can",
        "you",
        "i",
        "need",
        "to",
        "look",
        "lookup",
        "search",
        "display",
        "in-progress",
        "progress",
    ]
)
_STATUS_WORDS = (
    (re.compile(r"\b(holds|on[\s-]hold|held)\b", re.I), "hold"),
    (re.compile(r"\b(cancellations|cancelations|cancels|canceled|cancelled)\b", re.I), "canceled"),
)
_UNASSIGNED = re.compile(
    r"\b(unassigned|un-assigned|not assigned|no (tech|technician)s?( assigned)?|without (a |any )?"
    r"(tech|technician)s?|nobody (assigned|on (it|them)))\b",
    re.I,
)
_PROJECT_LEAD = re.compile(
    r"\b(?:in|on|for|of|from|under|about|whats|what's|what is|show|show me|list|jobs|job)\s+", re.I
)
_PROJECT_STATUS = (
    (
        re.compile(r"\b(not (been )?started|haven'?t started|yet to start|not begun|unstarted)\b", re.I),
        "Not Started",
    ),
    (
        re.compile(r"\b(in progress|in-progress|ongoing|underway|active|open|running|started)\b", re.I),
        "In Progress",
    ),
    (re.compile(r"\b(completed|finished|done|closed|complete)\b", re.I), "Completed"),
)
_AT_STREET = re.compile(r"\b(?:at|on)\s+(?P<street>\d+\s+[a-z][a-z .'-]{1,40})$", re.I)
_ON_STREET = re.compile(
    r"\b(?:jobs|work|calls|visits)\s+(?:at|on)\s+(?P<street>[a-z][a-z.'-]+(?:\s+(?:st|street|rd|road|ave|avenue|dr|drive"
    r"|ln|lane|blvd|boulevard|way|ct|court|pl|place))?)$",
    re.I,
)
_KIND_BEFORE_JOBS = re.compile(r"(?P<words>(?:[\w'-]+\s+){1,4}?)(?:jobs|calls|work orders|visits)\b", re.I)
# "show the furnace one on sunday", "pull up the drain cleaning job tomorrow": jobs of a type on a day
_TYPE_ONE = re.compile(
    r"^(?:show|find|get|open|pull up|bring up|look up|which is|where'?s|wheres)\s+(?:me\s+)?the\s+"
    r"(?P<words>[a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3}?)\s+(?:one|job|visit|call|appointment|appt)\b(?P<rest>.*)$",
    re.I,
)
_PHONE = re.compile(r"(?<![\d#])(?:\(?\d{3}\)?[\s.-]?)?\d{3}[\s.-]\d{4}(?!\d)")
_PRIORITY = re.compile(
    r"\b(?P<level>urgent|emergency|high|normal|medium|low)[- ]priority\b|\b(?P<alone>urgent|emergency)\b",
    re.I,
)
PRIORITIES = {
    "urgent": "Urgent",
    "emergency": "Urgent",
    "high": "High",
    "normal": "Normal",
    "medium": "Normal",
    "low": "Low",
}
_LIST_LEAD = re.compile(
    r"^(?:show|list|find|get|see|any|what'?s|whats|what is|what are|everything|anything)\b", re.I
)
_BY_WHO = re.compile(
    r"\bwho\s+(?:has\s+)?(?:canceled|cancelled|cancels|cancel(?:ed)?\s+jobs|held|put\s+(?:\w+\s+)?on\s+hold)\s+"
    r"(?:the\s+)?most\b|\bwho\s+(?:put|has\s+put)\s+(?:the\s+)?most\s+(?:jobs\s+)?on\s+hold\b"
    r"|\bwho\s+(?:did\s+)?(?:the\s+)?most\s+(?:cancellations|cancels|holds)\b"
    r"|\b(?:cancellations|cancels|holds)\s+(?:by|per)\s+(?:who|person|employee|dispatcher|user)\b"
    r"|^\s*(?:who'?s|whos|who\s+is|who\s+has|who\s+have|who)\s+(?:been\s+)?(?:putting|canceling|cancelling|holding)\b",
    re.I,
)
# Who made the change, as a filter: "how many jobs did dana cancel this week", "holds by dana reyes"
_DONE_BY = re.compile(
    r"\b(?:did|has|had)\s+(?!(?:the|a|an|they|it|we|you|i|he|she|customer|client|anyone|anybody|someone|somebody)\b)"
    r"(?P<who>[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)\s+"
    r"(?:cancel|canceled|cancelled|put\s+on\s+hold|hold|put)\b"
    r"|\b(?:canceled|cancelled|held|put\s+on\s+hold|cancellations|holds)\s+by\s+"
    r"(?P<by>(?!who\b|person\b|employee\b|dispatcher\b|user\b|reasons?\b)[a-z][\w'-]*(?:\s+(?!this\b|last\b|in\b|on\b|since\b|today\b|yesterday\b)[a-z][\w'-]*)?)",
    re.I,
)
_BY_REASON = re.compile(r"\bby reasons?\b|\breasons? for (the )?cancel", re.I)
_FREE = re.compile(
    r"\b(who'?s|who is|whos|anyone|anybody|any (tech|technician)s?|which (tech|technician)s? (is|are))\s+"
    r"(free|available|open)\b|\bfree (tech|technician)s?\b|\bavailable (tech|technician)s?\b"
    r"|\b(any )?(openings|open slots|availability)\b"
    r"|\b(is )?(every ?one|every ?body|any ?one|any ?body) (busy|booked)\b|\bwho('?s| is)? (not|isn'?t|is not) (busy|booked)\b"
    r"|\bwho has (nothing|no (jobs|visits|appointments))\b",
    re.I,
)
_NEXT = re.compile(
    r"\bnext (?:scheduled |upcoming |booked |assigned |real )?(job|visit|appointment|appt|stop|call)\b|^(what'?s|whats|what is|where'?s|where is|where to) next\b"
    r"|^(where|what) (do i go|am i going) next\b",
    re.I,
)
_MINE = re.compile(
    r"\b(do i have|have i got|i have|i've got|i got|for me|assigned to me|on my plate)\b", re.I
)
# "special instructions on 1030" (also bot.dialog.refer: "special instructions for it")
INSTRUCTIONS = re.compile(r"\binstructions?\b", re.I)
_CUSTOMER_SAID = re.compile(r"\b(customer|client)s?\b", re.I)
_ADDRESS = re.compile(r"\b(address|where is|where's|wheres|location of)\b", re.I)
# A question about a place as a whole ("whats going on at 507 oak st", "anything happening at 470 maple ave")
_ASKS_ABOUT = re.compile(
    r"^(?:what'?s|whats|what is|anything|any|is there anything)\s+(?:going on|happening|up|new|open|booked|"
    r"scheduled|on the books|(?:else\s+)?on)\b",
    re.I,
)
# A customer asked about as a whole: "whats going on with the garcias", "show me everything for lakeside dental"
_OVERVIEW = re.compile(
    r"^(?:(?:what'?s|whats|what is|anything)\s+(?:going on|happening|up|new|open|the latest|the story|the status)"
    r"|(?:show|give|pull up|get|list|find|what do we have|what have we got|what'?s|whats|what is)\s+(?:me\s+|us\s+)?"
    r"(?:everything|all|anything|all the work|the work|what we have|what'?s open|whats open)"
    r"|(?:any\s+|the\s+)?(?:status|update|updates|news|latest)|(?:how are|how'?s|hows)\s+(?:things|it going|we doing)"
    r"|(?:what\s+do\s+we\s+(?:have|got)|what\s+have\s+we\s+got|what'?ve\s+we\s+got|what\s+is\s+there|anything)"
    r"(?:\s+(?:going on|on|scheduled|booked|coming up|lined up|planned|happening|open|left|new))?"
    r"|(?:what'?s|whats|what\s+is)\s+(?:on|scheduled|booked|coming up|lined up|planned))"
    r"\s+(?:with|for|on|at|about)\s+(?P<name>[a-z][\w'&. -]{1,60}?)\s*[?.!]*$",
    re.I,
)
_NOT_A_CUSTOMER = re.compile(
    r"\b(job|jobs|appointments?|appts?|visits?|projects?|today|tonight|tomorrow|tmrw|yesterday|week|weekend|month"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|me|my|us|it|that|this|them|everyone|everybody"
    r"|progress|schedule|calendar|board)\b",
    re.I,
)
# Words a phrase of days may start with ("next week", "on monday", "dec 8 thru dec 10", "the 14th")
_DAYS_START = re.compile(
    r"(?:on|for|this|next|last|in|during|from|between|over|tomorrow|tmrw|today|tonight|yesterday|weekend"
    r"|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|the\s+\d|\d)\b",
    re.I,
)
_WHO = re.compile(r"^\s*who\s+(canceled|cancelled|held|put)\b", re.I)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip("?.! ")).strip()


def status_said(text: str) -> str | None:
    """A job status named by a noun the parser leaves out ("holds this week")."""
    for pattern, status in _STATUS_WORDS:
        if pattern.search(text):
            return status
    return None


def project_name(text: str) -> str | None:
    """ "jobs in the whole-home repipe project" -> "whole-home repipe"; "jobs for project Lee remodel" ->
    "Lee remodel"."""
    found = re.search(r"^(?P<head>.*?)\s*\bproject\b(?P<tail>.*)$", _words(text), re.I)
    if found is None:
        return None
    head = re.split(_PROJECT_LEAD, found["head"] + " ")[-1].strip()
    head = re.sub(r"^(?:the|a|that|this)\b\s*", "", head, flags=re.I)
    name = " ".join(head.split()[-5:]) or re.sub(r"^\s*(?:named|called|:)?\s*", "", found["tail"])
    name = name.strip(" ,.")
    if not name or re.fullmatch(r"#?\d+|the|a|this|that|which|what|each|every|any", name, re.I):
        return None
    return name


def kind_words(text: str) -> str | None:
    """Words before "jobs" that name no status or quantity: a job type or business unit ("furnace repair")."""
    found = _KIND_BEFORE_JOBS.search(_words(text))
    if found is None:
        return None
    words = [w for w in found["words"].split() if w.casefold() not in _NOT_KINDS]
    # the words must stand right before "jobs": "show me furnace jobs" -> "furnace"
    kept: list[str] = []
    for w in reversed(found["words"].split()):
        if w.casefold() in _NOT_KINDS or re.fullmatch(r"\d+", w):
            break
        kept.insert(0, w)
    return " ".join(kept) if kept and words else None


def refine(
    text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[str, dict[str, Any]]:
    """The read the text asks for, with the slots the parser left out; (intent, slots) as given otherwise."""
    said = _words(text)
    out = dict(slots)
    if intent == "show_job":
        if _ADDRESS.search(said):
            out["focus"] = "address"
        elif INSTRUCTIONS.search(said):
            out["focus"] = "instructions"  # "special instructions on 1030": the parser reads a look-up
        return intent, out
    if intent in {"unknown", "list_appointments"} and not out and _ASKS_ABOUT.match(said):
        street = _AT_STREET.search(said)  # "whats going on at 507 oak st": that address's jobs
        if street and _is_street(street["street"], now, tz):
            return "find_jobs", {"location": street["street"].strip()}
    if intent == "unknown" and (_FREE.search(said) or _NEXT.search(said)):
        intent = "list_appointments"
    if intent == "list_appointments":
        return intent, _with_groups(said, _appointments(said, out, now, tz))
    if intent in {"unknown", "find_jobs"} and project_name(said) and re.search(r"\bstatus\b", said, re.I):
        return "find_projects", {"project": project_name(said)}  # "whats the status of the repipe project"
    if intent == "find_projects" or (intent == "unknown" and re.search(r"\bprojects\b", said, re.I)):
        return "find_projects", _projects(said, out)
    whose = overview_name(said, now, tz) if intent in {"unknown", "find_jobs"} else None
    if whose:
        said_days = {"range": whose[1]} if whose[1] else {}
        return "find_jobs", {"customer": whose[0], "overview": True, **said_days}
    if intent == "unknown" and _asks_for_jobs(said):
        intent = "find_jobs"
    typed = _TYPE_ONE.match(said) if intent == "unknown" else None
    days = _range(typed["rest"], now, tz) if typed else None
    if typed and days and typed["words"].casefold() not in _NOT_KINDS:
        return "find_jobs", {**out, "kind": typed["words"], "range": days}
    if intent == "find_jobs":
        return intent, _with_groups(said, _jobs(said, out, now, tz))
    return intent, out


def _with_groups(said: str, out: dict[str, Any]) -> dict[str, Any]:
    """A Slack mention of a channel or group is a filter the read can't apply: it says so (named.person)."""
    groups = slack_groups(said)
    if groups:
        out["groups"] = groups
    return out


def _jobs(said: str, out: dict[str, Any], now: datetime, tz: str) -> dict[str, Any]:
    reason = reasons.said_reason(said)
    if reason and not out.get("reason"):
        # "canceled jobs for price reasons": a reason, not a customer called "price reasons"
        (start, end), out["reason"] = reason[1], reason[0]
        for slot in ("customer", "technician"):
            name = str(out.get(slot) or "").casefold()
            if name and (name.split()[0] in said[start:end].casefold() or status_said(name)):
                del out[slot]
        said = f"{said[:start]} {said[end:]}".strip()
    if out.get("customer") and not out.get("technician") and not _CUSTOMER_SAID.search(said):
        # "jobs for Sarah Lopez": the parser reads a full name as a customer's, but it may be a
        # technician's; named.person looks a `technician` name up as both and asks only if both match
        out["technician"] = out.pop("customer")
    if _MINE.search(said) and not out.get("technician"):
        out["technician"] = "me"  # "what jobs do i have on hold"
    if not out.get("status"):
        status = status_said(said)
        if status:
            out["status"] = status
    if _UNASSIGNED.search(said):
        out["unassigned"] = True
    done_by = _DONE_BY.search(said)
    if done_by and not _BY_WHO.search(said):
        # "how many jobs did dana cancel": who canceled, from the canceled logs (not a technician "dana cancel")
        who = (done_by["who"] or done_by["by"]).strip()
        out["done_by"] = who
        out["status"] = "hold" if re.search(r"\bhold|\bheld|\bput\b", done_by[0], re.I) else "canceled"
        for slot in ("technician", "customer"):
            if str(out.get(slot) or "").casefold().split()[:1] == who.casefold().split()[:1]:
                del out[slot]
        said = f"{said[: done_by.start()]} {said[done_by.end() :]}".strip()
    if _BY_WHO.search(said):
        out["by_who"] = True
        out.setdefault("status", status_said(said) or "canceled")
    elif _BY_REASON.search(said):
        out["by_reason"] = True
        out.setdefault("status", "canceled")
    priority = _PRIORITY.search(said)
    if priority and not out.get("priority"):
        out["priority"] = PRIORITIES[(priority["level"] or priority["alone"]).casefold()]
        said = (said[: priority.start()] + said[priority.end() :]).strip()  # not a kind of job too
    phone = _PHONE.search(said)
    if phone and "job" in said.casefold():
        out["phone"] = re.sub(r"\D", "", phone[0])  # "jobs for 555-2008": the customer with that number
        return out
    street = _AT_STREET.search(said) or _ON_STREET.search(said)
    if street and not out.get("customer") and _is_street(street["street"], now, tz):
        out["location"] = street["street"].strip()
    if "range" not in out:
        days = _range(said, now, tz)
        if days:
            out["range"] = days
    kind = kind_words(said)
    named_already = out.get("technician") or out.get("customer") or out.get("project")
    named_already = named_already or out.get("by_who") or out.get("done_by")  # "whos been putting jobs…"
    if kind and not named_already and not _UNASSIGNED.search(kind) and not status_said(kind):
        out["kind"] = kind
    return out


def _is_street(words: str, now: datetime, tz: str) -> bool:
    """ "hillcrest", "396 Hillcrest": a street; "hold", "friday", "the repipe project" are not."""
    if status_said(f"on {words}") or "project" in words.casefold() or _UNASSIGNED.search(words):
        return False
    return words.strip()[:1].isdigit() or not (_range(words, now, tz) or _parse("when", words, now, tz))


def _asks_for_jobs(said: str) -> bool:
    """Words the parser read as no request that ask for jobs by status: "show me everything on hold"."""
    short = len(said.split()) <= 4 or bool(_LIST_LEAD.match(said))
    return bool(status_said(said)) and (
        bool(re.search(r"\b(jobs|holds|cancellations|cancels)\b", said, re.I)) or short
    )


def _projects(said: str, out: dict[str, Any]) -> dict[str, Any]:
    for pattern, status in _PROJECT_STATUS:
        if pattern.search(said):
            out["project_status"] = status
            break
    if out.get("project_id") is None:
        name = project_name(said)
        if name and not any(p.fullmatch(name) for p, _ in _PROJECT_STATUS):
            out["project"] = name
    return out


def _appointments(said: str, out: dict[str, Any], now: datetime, tz: str) -> dict[str, Any]:
    if _FREE.search(said):
        out["free"] = True  # the parser gives the days and the part of the day ("whos free tmrw afternoon")
        out.pop("technician", None)
    if "range" not in out and not out.get("job_id"):
        days = _range(said, now, tz)
        if days:
            out["range"] = days
    if _NEXT.search(said) and "range" not in out:
        out["next"] = True
    if _UNASSIGNED.search(said):
        out["unassigned"] = True
        out.pop("technician", None)
    return out


def _range(said: str, now: datetime, tz: str) -> Any:
    return _parse("range", said, now, tz)


def _parse(slot: str, text: str, now: datetime, tz: str) -> Any:
    try:
        return parse_slot(slot, text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; a read must survive if it ever does
        return None


def overview_name(said: str, now: datetime | None = None, tz: str = "UTC") -> tuple[str, Any] | None:
    """The customer a question about all their work names ("the garcias", "lakeside dental"), and the days
    said after the name ("anything for northside fitness next week"), or None."""
    found = _OVERVIEW.match(said)
    if found is None:
        return None
    name, days = found["name"].strip(), None
    words = name.split()
    for cut in range(1, len(words)):
        if not _DAYS_START.match(" ".join(words[cut:])):
            continue  # "the garcias this week": the days start at "this", not inside the name
        days = _range(" ".join(words[cut:]), now, tz) if now is not None else None
        if days:
            name = " ".join(words[:cut])
            break
    filters = status_said(f"on {name}") or _UNASSIGNED.search(name) or _PRIORITY.search(name)
    if filters or _NOT_A_CUSTOMER.search(name) or any(c.isdigit() for c in name):
        return None  # "show me everything on hold": a status, not a customer
    return name, days


def is_who_question(text: str) -> bool:
    """ "who canceled job 1006": a question about who did it (show_job answers with who and when)."""
    return bool(_WHO.match(text))
