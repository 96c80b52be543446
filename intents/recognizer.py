"""The parser: message -> skeleton of words and entities -> first matching template -> slots.

1. Tokenize (intents.text), drop filler ("please", leading "can you").
2. Entities: ids with their noun ("job 123" -> JOB, "appt 5" -> APPT, "#4521" -> NUM), Slack user
   mentions (MENTION) and time phrases (TIME, intents.timeparse) become placeholders.
3. The skeleton ("reschedule JOB to TIME") is matched against every template, in priority order.
4. Slots: the template's captures, then entities the template did not capture, then list words
   (status, priority, alert kinds) and the intent's optional "extras" patterns.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from intents import named_jobs, timeparse
from intents.clauses import clause_starts, side_technician
from intents.grammar import Grammar, IntentSpec, Template, load_grammar
from intents.slots import (
    ID_NOUNS,
    ID_SEPARATORS,
    LIST_SLOTS,
    PHRASE_STOPWORDS,
    SAYS_NOTHING,
    STREET_WORDS,
    Capture,
    Context,
    alert_kinds,
    read_capture,
    scan_list,
    word_set,
)
from intents.text import MAX_TOKENS, Token, referenced, tokenize
from intents.typos import correct
from intents.vocabulary import office_words, other_trades, trade_heads

UNKNOWN: dict[str, Any] = {"intent": "unknown", "slots": {}}
_KEPT_PUNCT = {",": ",", "-": "-", "–": "-", "—": "-", ":": ":", ";": ";", "&": "and", "+": "and", "=": ":"}
_SLOT_OF_PLACEHOLDER = {
    "JOB": "job_id",
    "APPT": "appointment_id",
    "CUST": "customer_id",
    "LOC": "location_id",
    "PROJ": "project_id",
    "NUM": "job_id",
    "ADDR": "location",
}
_ID_PHRASE = re.compile(r"(?:customer|client|location|site|job|appt|appointment|project)\s*#?\s*\d", re.I)
# How a symptom-named job type starts: "no heat call", "no cooling call", "leak call"
_SYMPTOM_LEADS = frozenset({"no", "low", "leak", "leaking", "emergency", "clogged", "broken"})
_UNITS = frozenset(
    {"minutes", "minute", "mins", "min", "m", "hour", "hours", "days", "weeks", "percent", "%"}
)
_ID_STARTS = frozenset(ID_NOUNS) | {"work", "#"}
_FORMATTING = frozenset('*_~`"“”')
_FREE_SLOTS = frozenset(
    {"reason", "text", "summary", "job_type", "business_unit", "technician", "customer", "project"}
)


class Item(NamedTuple):
    """One element of the skeleton: a word, kept punctuation, or an entity placeholder."""

    key: str
    start: int  # span in the original text
    end: int
    payload: object = None


@dataclass(slots=True)
class Analysis:
    """A message cut into skeleton items, ready for template matching."""

    text: str
    items: list[Item]
    skeleton: str
    offsets: list[int]  # start of each item's key in the skeleton
    truncated: bool

    @classmethod
    def of(cls, text: str, items: list[Item], truncated: bool) -> Analysis:
        offsets: list[int] = []
        pos = 0
        for item in items:
            offsets.append(pos)
            pos += len(item.key) + 1
        skeleton = "".join(item.key + " " for item in items)
        return cls(text, items, skeleton, offsets, truncated)

    def item_range(self, start: int, end: int) -> tuple[int, int]:
        """Item indices [first, last) covered by a skeleton span."""
        first = bisect.bisect_left(self.offsets, start)
        last = bisect.bisect_left(self.offsets, end)
        return first, last

    def capture(self, first: int, last: int) -> Capture:
        items = self.items[first:last]
        if not items:
            return Capture("", (), ())
        start, end = items[0].start, items[-1].end
        if self.truncated and last == len(self.items):
            end = len(self.text)
        # keep Slack formatting and quotes that touch the phrase ("*urgent* call back")
        while start > 0 and self.text[start - 1] in _FORMATTING:
            start -= 1
        while end < len(self.text) and self.text[end] in _FORMATTING:
            end += 1
        return Capture(
            self.text[start:end],
            tuple(i.key for i in items),
            tuple(i.payload for i in items),
            tuple(i.end - start for i in items),
        )


def _strip_filler(tokens: list[Token], grammar: Grammar) -> list[Token]:
    dropped = grammar.dropped_words
    kept = [t for t in tokens if t.norm not in dropped or t.kind != "word"]
    start = 0
    count = len(kept)
    changed = True
    while changed:
        changed = False
        while start < count and kept[start].kind == "punct" and kept[start].norm != "#":
            start += 1
        if start >= count:
            break
        for phrase in grammar.leading_filler.get(kept[start].norm, ()):
            end = start + len(phrase)
            if end < count and all(kept[start + k].norm == w for k, w in enumerate(phrase)):
                start = end
                changed = True
                break
    return kept[start:] if start else kept


def _id_at(tokens: list[Token], i: int) -> tuple[int, str, int] | None:
    """An id with its noun at token i ("job 123", "appt #5", "work order 7"): (last index, key, id)."""
    tok = tokens[i]
    key = ID_NOUNS.get(tok.norm) if tok.kind == "word" else None
    j = i + 1
    if tok.norm == "work" and i + 1 < len(tokens) and tokens[i + 1].norm == "order":
        key, j = "JOB", i + 2
    if key is None:
        return None
    seps = 0
    while j < len(tokens) and tokens[j].norm in ID_SEPARATORS and seps < 2:
        j += 1
        seps += 1
    value = tokens[j].value if j < len(tokens) else None
    if isinstance(value, int) and tokens[j].kind == "num":
        return j, key, value
    return None


def _street_at(tokens: list[Token], i: int) -> int | None:
    """The last token of a street address starting at the number at i ("12 Oak St"), or None."""
    for j in range(i + 2, min(i + 6, len(tokens))):
        tok = tokens[j]
        if tok.kind != "word":
            return None
        if tok.norm in STREET_WORDS:
            return j
    return None


# A phone number: "555-2008", "(312) 555-2008", "312.555.2008", or ten digits after a phone word
_PHONE = re.compile(
    r"(?<![\w/.-])(?:(?:\(\d{3}\)\s*|\d{3}[-.\s])?\d{3}[-.]\d{4}"
    r"|(?<=phone )\d{10}|(?<=number )\d{10}|(?<=cell )\d{10}|(?<=mobile )\d{10}|(?<=tel )\d{10})(?![\w/-])",
    re.IGNORECASE,
)


# Machine text whose numbers are no ids or times: URLs of any scheme, user@host, IP addresses with an
# optional port, paths with words in them ("/jpm/v2/jobs"; a date "11/24/2026" has no letters) and
# log clocks with seconds ("09:00:01"), JSON objects, sums of money ("$250") and a "+1".
_MACHINE_TEXT = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+|[\w.+-]+@[\w-]+(?:[.:][\w-]+)*|(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"
    r"|(?:/[\w.-]*[a-z][\w.-]*){2,}(?:/[\w.-]+)*/?|\{\s*\"[^{}]*\}|(?<![\w:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])"
    r"|\$\s?\d[\d,]*(?:\.\d+)?|(?<![\w+])\+\d+(?![\w.])",
    re.IGNORECASE,
)


def _machine_tokens(text: str, tokens: list[Token]) -> set[int]:
    """Indices of tokens inside machine text (a URL, an address, a path): never read as anything."""
    spans = [m.span() for m in _MACHINE_TEXT.finditer(text)]
    if not spans:
        return set()
    return {k for k, t in enumerate(tokens) if any(a <= t.start and t.end <= b for a, b in spans)}


def _phones(text: str, tokens: list[Token]) -> dict[int, int]:
    """First token -> last token of each phone number in the text: never an id or a time."""
    found: dict[int, int] = {}
    for m in _PHONE.finditer(text):
        inside = [k for k, t in enumerate(tokens) if t.start >= m.start() and t.end <= m.end()]
        if inside:
            found[inside[0]] = inside[-1]
    return found


def _day_number(tok: Token) -> bool:
    """A day of a month as written after the month: "30", "31st"."""
    if tok.kind in ("num", "ord") and isinstance(tok.value, int):
        return 0 < tok.value < 100
    return bool(re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", tok.norm))


def analyse(text: str, today: timeparse.date, grammar: Grammar, *, strip: bool = True) -> Analysis:
    """Turn a message into skeleton items (without its filler words unless strip is False)."""
    raw = correct(tokenize(text), text)
    truncated = len(raw) >= MAX_TOKENS
    tokens = _strip_filler(raw, grammar) if strip else raw
    count = len(tokens)
    ids: dict[int, tuple[int, str, int]] = {}
    masked = tokens
    phones = _phones(text, tokens)
    machine = _machine_tokens(text, tokens) if any(c in text for c in "/@.:{$+") else set()
    machine |= referenced(tokens) if "same" in text.casefold() else set()
    if phones or machine:
        masked = list(tokens)
        for k in machine:
            masked[k] = Token("", "id", tokens[k].start, tokens[k].end)
        for phone_start, phone_end in phones.items():
            for k in range(phone_start, phone_end + 1):
                masked[k] = Token("", "id", tokens[k].start, tokens[k].end)
    for i, tok in enumerate(tokens):
        if masked[i].kind == "id":
            continue
        if tok.norm in _ID_STARTS and (not ids or i > max(ids.values())[0]):
            found = _id_at(tokens, i)
            if found is None and tok.norm == "#" and i + 1 < count and tokens[i + 1].kind == "num":
                value = tokens[i + 1].value
                found = (i + 1, "NUM", value if isinstance(value, int) else 0)
            if found is not None and masked[found[0]].kind == "id":
                found = None  # "customer 555-2008": a phone number, not customer 555
            if found is not None:
                if masked is tokens:
                    masked = list(tokens)
                ids[i] = found
                for k in range(i, found[0] + 1):
                    masked[k] = Token("", "id", tokens[k].start, tokens[k].end)
    streets: dict[int, int] = {}
    for i, tok in enumerate(tokens):
        if tok.kind == "num" and masked[i].kind == "num":
            last = _street_at(tokens, i)
            if last is not None:
                if masked is tokens:
                    masked = list(tokens)
                streets[i] = last
                for k in range(i, last + 1):
                    masked[k] = Token("", "id", tokens[k].start, tokens[k].end)
    exprs = {e.first: e for e in timeparse.find_expressions(masked, today)}
    items: list[Item] = []
    append = items.append
    i = 0
    while i < count:
        tok = tokens[i]
        if machine and i in machine:
            i += 1
            continue
        if phones and i in phones:
            last = phones[i]
            append(Item("PHONE", tok.start, tokens[last].end, text[tok.start : tokens[last].end]))
            i = last + 1
            continue
        if ids and i in ids:
            last, key, value = ids[i]
            append(Item(key, tok.start, tokens[last].end, value))
            i = last + 1
            continue
        if streets and i in streets:
            last = streets[i]
            append(Item("ADDR", tok.start, tokens[last].end, text[tok.start : tokens[last].end]))
            i = last + 1
            continue
        expr = exprs.get(i) if exprs else None
        if expr is not None:
            append(Item("TIME", tok.start, tokens[expr.last].end, expr))
            i = expr.last + 1
            continue
        if tok.norm in timeparse.MONTHS and i + 1 < count and _day_number(tokens[i + 1]):
            # "feb 30": a day the time parser rejects is still a day, never a name ("move 1010 to feb 30")
            append(Item("BADDAY", tok.start, tokens[i + 1].end))
            i += 2
            continue
        i += 1
        kind = tok.kind
        if kind == "word":
            append(Item(tok.norm, tok.start, tok.end))
        elif kind == "num":
            append(Item("NUM", tok.start, tok.end, tok.value))
        elif kind == "punct":
            kept = _KEPT_PUNCT.get(tok.norm)
            if kept is not None:
                append(Item(kept, tok.start, tok.end))
        elif kind == "markup":
            if tok.norm.startswith("<@"):
                append(Item("MENTION", tok.start, tok.end, tok.norm))
        elif kind != "link":
            append(Item(tok.norm, tok.start, tok.end))
    return Analysis(text, items, "", [], truncated) if not items else Analysis.of(text, items, truncated)


def _read_template(
    template: Template, match: Any, analysis: Analysis, ctx: Context
) -> tuple[dict[str, Any], set[int]] | None:
    """Slot values of a matched template, and the items its captures cover; None if one is invalid."""
    slots: dict[str, Any] = dict(template.fixed)
    covered: set[int] = set()
    for slot, group, variant in zip(template.slots, template.groups, template.variants, strict=True):
        start, end = match.span(group)
        if start < 0:
            continue
        first, last = analysis.item_range(start, end)
        value = read_capture(slot, analysis.capture(first, last), ctx, variant)
        if value is None:
            return None
        if value is not SAYS_NOTHING:
            slots[slot] = value
        covered.update(range(first, last))
    return slots, covered


def _match(
    analysis: Analysis, grammar: Grammar, ctx: Context
) -> tuple[Template, dict[str, Any], set[int]] | None:
    skeleton = analysis.skeleton
    if not skeleton:
        return None
    first_key = analysis.items[0].key
    keys = frozenset(item.key for item in analysis.items)
    best: tuple[int, Any] | None = None
    for regex in grammar.matchers(first_key, keys):
        m = regex.fullmatch(skeleton)
        if m is not None and m.lastgroup is not None:
            index = int(m.lastgroup[1:])
            if best is None or index < best[0]:
                best = (index, m)
    if best is None:
        return None
    index, m = best
    template = grammar.templates[index]
    read = _read_template(template, m, analysis, ctx)
    if read is not None:
        return template, read[0], read[1]
    # a capture was not a valid value ("assign the tech to job 5"): try the later templates
    for later in grammar.candidates(first_key, keys):
        if later <= index:
            continue
        template = grammar.templates[later]
        m = template.regex.fullmatch(skeleton)
        if m is None:
            continue
        read = _read_template(template, m, analysis, ctx)
        if read is not None:
            return template, read[0], read[1]
    return None


# Words that lead into a job type said in trade words without being part of it ("book a ...").
_TRADE_LEADS = word_set(
    "book booked schedule create new need needs want wants get set up add log enter open make i we us me "
    "a an the another some one please sched arrange"
)


def _trade_words(analysis: Analysis, covered: set[int], ctx: Context) -> str | None:
    """A job type said as trade words anywhere ("... location 93 leak repair tomorrow"): the first run
    of plain words that ends in a trade word, without the booking words before it."""
    heads = trade_heads()
    run: list[int] = []
    for index in range(len(analysis.items) + 1):
        item = analysis.items[index] if index < len(analysis.items) else None
        plain = (
            item is not None
            and index not in covered
            and item.key[:1].islower()
            and item.key not in PHRASE_STOPWORDS
        )
        if plain:
            run.append(index)
            continue
        while run and analysis.items[run[0]].key in _TRADE_LEADS:
            run.pop(0)
        if run and analysis.items[run[-1]].key in heads:
            value = read_capture("job_type", analysis.capture(run[0], run[-1] + 1), ctx)
            if isinstance(value, str):
                return value
        run = []
    return None


def _part_of_day(res: timeparse.Resolved, spec: IntentSpec, slots: dict[str, Any]) -> None:
    """The hours of a day range where the intent keeps them ("whos free tmrw afternoon": 12:00-17:00)."""
    if spec.hours and res.start is not None and "range" in slots:
        slots["start"] = timeparse.fmt_time(res.start)
        if res.end is not None:
            slots["end"] = timeparse.fmt_time(res.end)


def _fill(
    template: Template,
    slots: dict[str, Any],
    covered: set[int],
    analysis: Analysis,
    grammar: Grammar,
    ctx: Context,
) -> dict[str, Any]:
    spec = grammar.intents[template.intent]
    allowed = set(spec.slots)
    free_covered = set(covered) if any(s in _FREE_SLOTS for s in slots) else set()
    times: list[timeparse.Atom] = []
    # ids said with their noun first: "traffic on 290, 30 min late for job 8835" is about job 8835
    order = sorted(range(len(analysis.items)), key=lambda k: analysis.items[k].key == "NUM")
    for index in order:
        item = analysis.items[index]
        if index in covered:
            continue
        if isinstance(item.payload, dict) and not {"job_id", "appointment_id"} & set(slots):
            slots.update(item.payload)  # a job by its customer, address or type (intents.named_jobs)
        slot = _SLOT_OF_PLACEHOLDER.get(item.key)
        if item.key == "NUM" and index + 1 < len(analysis.items) and analysis.items[index + 1].key in _UNITS:
            continue  # "20 minutes", "2 hours": an amount, never an id
        if slot is not None:
            if slot not in allowed and item.key == "APPT" and "job_id" in allowed:
                continue
            if slot in allowed and slot not in slots and isinstance(item.payload, int | str):
                slots[slot] = item.payload
        elif item.key == "MENTION":
            if "technician" in allowed and "technician" not in slots:
                slots["technician"] = item.payload
        elif item.key == "TIME" and isinstance(item.payload, timeparse.TimeExpr):
            times.extend(item.payload.atoms)
    if times and spec.time_slot and spec.time_slot not in slots:
        res = timeparse.combine(times, ctx.today)
        value = (
            timeparse.to_when(res, ctx.now_local, undated=True)
            if spec.time_slot == "when"
            else timeparse.to_range(res)
        )
        if value is not None:
            slots[spec.time_slot] = value
            _part_of_day(res, spec, slots)
    if "job_type" in allowed and "job_type" not in slots:
        job_type = _trade_words(analysis, covered, ctx)
        if job_type is not None:
            slots["job_type"] = job_type
    uncovered = ""
    for slot in LIST_SLOTS:
        if slot in allowed and slot not in slots:
            if not uncovered:
                uncovered = " ".join(it.key for k, it in enumerate(analysis.items) if k not in free_covered)
            found = scan_list(slot, uncovered)
            listed = alert_kinds(found) if slot == "kinds" else (found[0] if found else None)
            if listed:
                slots[slot] = listed
    for extra in grammar.extras.get(template.intent, ()):
        if all(s in slots for s in extra.slots):
            continue
        # the first place where the pattern gives valid values (", tomorrow at 9" is no summary)
        for m in extra.regex.finditer(analysis.skeleton):
            read = _read_template(extra, m, analysis, ctx)
            if read is not None:
                for slot, value in read[0].items():
                    slots.setdefault(slot, value)
                break
    if "project" in slots and slots.get("customer") == slots["project"]:
        del slots["customer"]  # "jobs for the whole-home repipe project": the name is the project's
    summary, job_type = slots.get("summary"), slots.get("job_type")
    if isinstance(summary, str) and (
        _ID_PHRASE.match(summary)
        or (isinstance(job_type, str) and summary.lower().startswith(job_type.lower()))
    ):
        # "new job: customer 5, ..." names the customer; ", garbage disposal install friday" is the
        # job type again: neither is a summary
        del slots["summary"]
    if isinstance(job_type, str) and job_type.split()[0].lower() in _SYMPTOM_LEADS:
        # a "no heat call": the trade's own name for the job ends in "call"
        called = re.search(re.escape(job_type) + r"\s+(call)\b", analysis.text, re.IGNORECASE)
        if called:
            slots["job_type"] = f"{job_type} {called.group(1)}"
    return slots


def _read(text: str, grammar: Grammar, ctx: Context) -> dict[str, Any]:
    """The request of one text read as a whole (UNKNOWN when no template matches it)."""
    analysis = analyse(text, ctx.today, grammar)
    named = named_jobs.collapse(analysis)  # "move the panel upgrade for jessica young to friday"
    found = _match(named, grammar, ctx) if named is not None else None
    if found is not None and found[0].intent in named_jobs.INTENTS:
        analysis = cast(Analysis, named)
    else:
        found = _match(analysis, grammar, ctx)
    if found is None and analysis.items and analysis.items[0].key == "MENTION":
        # "<@BOT> show job 5": a leading mention of the bot itself is not part of the request
        analysis = Analysis.of(text, analysis.items[1:], analysis.truncated)
        found = _match(analysis, grammar, ctx)
    if found is None:
        # filler words are dropped to help, never to hurt: "help me with holds" is help
        whole = analyse(text, ctx.today, grammar, strip=False)
        if whole.skeleton != analysis.skeleton:
            analysis = whole
            found = _match(analysis, grammar, ctx)
    if found is None:
        return {"intent": "unknown", "slots": {}}
    template, slots, covered = found
    if template.intent == "unknown":
        return {"intent": "unknown", "slots": {}}
    return {"intent": template.intent, "slots": _fill(template, slots, covered, analysis, grammar, ctx)}


def _read_clauses(text: str, grammar: Grammar, ctx: Context) -> dict[str, Any]:
    """The whole text, else the first later clause that is a request ("homeowner rang, wants job 5
    moved"): what came before it is context."""
    result = _read(text, grammar, ctx)
    if result["intent"] != "unknown":
        return result
    for start in clause_starts(text):
        result = _read(text[start:], grammar, ctx)
        theirs = not other_trades().isdisjoint(_words(text[:start]))
        if result["intent"] != "unknown" and theirs and not _ID_SLOTS.intersection(result["slots"]):
            # "the painter wants to reschedule to friday": their work, about none of our records
            return {"intent": "unknown", "slots": {}}
        if result["intent"] != "unknown":
            _from_context(text[:start], result, grammar, ctx)
            return result
    return result


_ID_SLOTS = frozenset({"job_id", "appointment_id", "customer_id", "location_id", "project_id"})


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}


# A cause said before the request: "parts are backordered so put job 5 on hold", "since it rained, ..."
_CAUSE_BEFORE = re.compile(
    r"^\s*(?:(?:because|since|as)\s+(?P<lead>.+?)|(?P<so>.+?)\s+so)[\s,;:.!-]*$", re.I | re.S
)


def _from_context(context: str, result: dict[str, Any], grammar: Grammar, ctx: Context) -> None:
    """Slots the request did not say that its leading context does: a time ("friday - what am I
    doing"), a person mentioned, or the cause of a cancel or hold."""
    spec = grammar.intents[result["intent"]]
    slots = result["slots"]
    analysis = analyse(context, ctx.today, grammar, strip=False)
    times = [a for i in analysis.items if isinstance(i.payload, timeparse.TimeExpr) for a in i.payload.atoms]
    if times and spec.time_slot and spec.time_slot not in slots:
        res = timeparse.combine(times, ctx.today)
        if spec.time_slot == "when":
            value = timeparse.to_when(res, ctx.now_local, undated=True)
        else:
            value = timeparse.to_range(res)
        if value is not None:
            slots[spec.time_slot] = value
            _part_of_day(res, spec, slots)
    mentions = [i.payload for i in analysis.items if i.key == "MENTION"]
    if mentions and "technician" in spec.slots and "technician" not in slots:
        slots["technician"] = mentions[0]
    cause = _CAUSE_BEFORE.match(context)
    if cause and "reason" in spec.slots and "reason" not in slots:
        words = analysis.items
        own = [i for i in words if i.key[:1].islower() and i.key not in grammar.dropped_words]
        if len(own) >= 2 and not any(i.key in _SLOT_OF_PLACEHOLDER for i in words):
            reason = read_capture("reason", Capture((cause.group("lead") or cause.group("so")), (), ()), ctx)
            if isinstance(reason, str):
                slots["reason"] = reason


# The fallback classifier's bar: the probability its best intent needs to be taken as the request
# (higher without an id or a person in the message), and what an alternative needs to be offered.
# A reading is sure only with a request cue (classifier.request_words(): a word of the templates that is
# no function word, or an id said with its noun, or a mention); without a record named, only a look-up
# or an intent that acts on no record may be sure, never a write: "ac tune-up" alone is no booking,
# "couldn't confirm whether" no confirmation, while "notes on that job" reads the job shown last.
ACCEPT = 0.5
ACCEPT_WITHOUT_RECORD = 0.85
CERTAIN = 0.8
ALTERNATIVE = 0.15
MAX_ALTERNATIVES = 3
_RECORD_KEYS = frozenset({"JOB", "APPT", "CUST", "LOC", "PROJ", "MENTION"})
# Intents that only read (none is a write of bot/dialog/writes: tests/intents/test_precision.py checks)
LOOKUPS = frozenset({"help", "show_job", "list_notes", "find_jobs", "find_projects", "list_appointments"})


def _has_cue(analysis: Analysis) -> bool:
    """A request cue: a word of the grammar's vocabulary of requests, or an id said with its noun."""
    from intents.classifier import request_words

    words = request_words()
    return any(item.key in words or item.key in _RECORD_KEYS for item in analysis.items)


def _sure(intent: str, p: float, record: bool, analysis: Analysis, grammar: Grammar) -> bool:
    """Whether the classifier's best reading may be taken as the request without asking."""
    if intent == "unknown" or not _has_cue(analysis):
        return False
    if record:
        return p >= ACCEPT
    acts_on_record = not _ID_SLOTS.isdisjoint(grammar.intents[intent].slots)
    return p >= ACCEPT_WITHOUT_RECORD and (intent in LOOKUPS or not acts_on_record)


def _slots_for(intent: str, analysis: Analysis, grammar: Grammar, ctx: Context) -> dict[str, Any]:
    """The slots of an intent the classifier chose: what the message says by its own shape."""
    template = Template(intent, "", "", (), ())
    return _fill(template, {}, set(), analysis, grammar, ctx)


def _classified(text: str, grammar: Grammar, ctx: Context) -> dict[str, Any]:
    """No template matched: the classifier's reading, with alternatives when it is unsure."""
    from intents.classifier import classify

    analysis = analyse(text, ctx.today, grammar)
    keys = {item.key for item in analysis.items}
    names_a_record = _names_a_record(analysis)
    if not office_words().isdisjoint(keys) or (not names_a_record and not other_trades().isdisjoint(keys)):
        return {"intent": "unknown", "slots": {}}  # "create a new invoice", "the roofer ...": not ours
    ranked = [(i, p) for i, p in classify(analysis.skeleton) if i in grammar.intents or i == "unknown"]
    if not ranked:
        return {"intent": "unknown", "slots": {}}
    top, p = ranked[0]
    others = [i for i, q in ranked[1:] if q >= ALTERNATIVE and i != "unknown"][:MAX_ALTERNATIVES]
    if _sure(top, p, names_a_record, analysis, grammar):
        result: dict[str, Any] = {"intent": top, "slots": _slots_for(top, analysis, grammar, ctx)}
        if p < CERTAIN and others:
            result["alternatives"] = [
                {"intent": i, "slots": _slots_for(i, analysis, grammar, ctx)} for i in others
            ]
        return result
    result = {"intent": "unknown", "slots": {}}
    if not names_a_record:
        return result
    # a request we cannot pin down ("put a rush on 4410"): offer the likely readings that use its id
    readings = [
        {"intent": i, "slots": _slots_for(i, analysis, grammar, ctx)}
        for i, q in ranked
        if q >= ALTERNATIVE and i != "unknown"
    ]
    readings = [r for r in readings if r["slots"]][:MAX_ALTERNATIVES]
    if readings:
        result["alternatives"] = readings
    return result


# Words after a number that make it an amount, never an id ("1200 square feet", "40 gallons")
_AMOUNT_UNITS = _UNITS | word_set(
    "square sq ft feet foot inch inches gallon gallons gal degrees btu btus tons ton psi lbs pounds dollars "
    "bucks amps volts"
)


def _names_a_record(analysis: Analysis) -> bool:
    """An id with its noun, a mention, or a bare number long enough to be an id (not "a 5 star review"),
    said as an id: not an amount ("1200 square feet") and not the number of a noun of some other thing
    ("PO 88213", "serial 8812", "worker 312": a word that is neither a request word nor a function word)."""
    from intents.classifier import function_words, request_words

    items = analysis.items
    for k, item in enumerate(items):
        if item.key in _RECORD_KEYS:
            return True
        if item.key != "NUM" or not isinstance(item.payload, int) or item.payload < 100:
            continue
        after = items[k + 1].key if k + 1 < len(items) else ""
        before = items[k - 1].key if k > 0 else ""
        if after in _AMOUNT_UNITS:
            continue
        if before[:1].islower() and before not in request_words() and before not in function_words():
            continue
        return True
    return False


def recognize(text: str, *, now: datetime, tz: str) -> dict[str, Any]:
    """Parse one message; raises only on a broken grammar or an invalid time zone."""
    grammar = load_grammar()
    ctx = Context(timeparse.local_now(now, tz), tz)
    side = side_technician(text)
    if side is not None:
        # "book a tune-up for customer 3 friday, give it to Mike": the request, then its technician
        result = _read_clauses(side.rest, grammar, ctx)
        intent = result["intent"]
        if intent != "unknown" and "technician" in grammar.intents[intent].slots:
            result["slots"].setdefault("technician", side.technician)
            return result
    result = _read_clauses(text, grammar, ctx)
    if result["intent"] == "unknown":
        return _classified(text, grammar, ctx)
    if _ID_SLOTS.isdisjoint(result["slots"]) and not office_words().isdisjoint(_words(text)):
        return {"intent": "unknown", "slots": {}}  # "schedule a meeting with HR": office work, no record
    return result
