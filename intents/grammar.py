"""Sentence templates (intents/data/sentences/*.yaml) compiled into regular expressions.

Templates are written over the *skeleton* of a message: canonical lower-case words, with entities
already replaced by upper-case placeholders (JOB, APPT, CUST, LOC, PROJ, NUM, TIME, MENTION).

    (reschedule|move|push) [the] <ref> to {when} ...

- `(a|b c)` alternatives, `[x]` optional, `<rule>` a shared rule of _common.yaml,
- `{slot}` a slot whose pattern comes from the slot type registry (intents.slots); `{slot:variant}`
  reads it with a stricter reader of that registry (`{technician:proper}`: a name written with
  capitals, for weak cues such as "a visit for Carlos"),
- `...` any words (including none).

All templates become one alternation tried in priority order; an empty marker group closing each
alternative tells which template matched (`Match.lastgroup`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from intents.names import INTENTS
from intents.slots import LIST_SLOTS, SLOT_TYPES, VARIANT_PATTERNS, VARIANT_READERS, lists

DATA_DIR = Path(__file__).parent / "data"
SENTENCES_DIR = DATA_DIR / "sentences"
_TEMPLATE_TOKEN = re.compile(r"\{[a-z_]+(?::[a-z_]+)?\}|<[a-z_]+>|\.\.\.|[()\[\]|]|[^\s()\[\]|{}<>]+")


class GrammarError(ValueError):
    """A broken sentence or rule definition (never raised for user input)."""


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class Template:
    """One compiled sentence template."""

    intent: str
    source: str
    pattern: str  # regex over the skeleton
    slots: tuple[str, ...]  # slot names captured, in order
    groups: tuple[str, ...]  # regex group names, parallel to slots
    fixed: tuple[tuple[str, Any], ...] = ()
    variants: tuple[str, ...] = ()  # reader variant per slot ("" for the slot's own reader)
    first: frozenset[str] | None = None  # skeleton keys it can start with; None: any
    anchor: frozenset[str] | None = None  # with an open start: one of these keys must be present

    @property
    def regex(self) -> re.Pattern[str]:
        """This template alone (compiled on first use: most parses only need the combined regex)."""
        return _compile(self.pattern)


@dataclass(frozen=True)
class IntentSpec:
    """What an intent may fill, from its sentences file."""

    name: str
    slots: tuple[str, ...]
    time_slot: str | None  # which slot an unclaimed time phrase fills: when, range, starts
    hours: bool = False  # a part of the day said with its range fills `start` / `end` ("free tmrw afternoon")

    @property
    def outputs(self) -> frozenset[str]:
        """Every slot a parse of this intent may give."""
        return frozenset(self.slots) | ({"start", "end"} if self.hours else frozenset())


@dataclass(frozen=True)
class Grammar:
    """Every template in priority order, with a dispatch on the first key of a skeleton.

    A skeleton is tried against two alternations: the templates that can start with its first key,
    and the templates that can start with anything. Each returns its first match in priority
    order, so the better of the two is the first match overall. Both are compiled on first use.
    """

    templates: tuple[Template, ...]
    intents: dict[str, IntentSpec]
    extras: dict[str, tuple[Template, ...]]  # per intent: searched in the message for optional slots
    keyed: dict[str, tuple[int, ...]]  # first key -> indices of the templates that can start with it
    wildcard: tuple[int, ...]  # indices of the templates that can start with any key
    leading_filler: dict[str, tuple[tuple[str, ...], ...]]  # first word -> phrases, longest first
    dropped_words: frozenset[str]
    words: frozenset[str]  # every literal word of the templates and rules (typo tolerance knows them)
    anchors: dict[str, tuple[int, ...]]  # anchor key -> open-start templates anchored on it
    unanchored: tuple[int, ...]  # open-start templates without an anchor
    anchor_keys: frozenset[str]  # every key some open-start template is anchored on
    _compiled: dict[tuple[int, ...], re.Pattern[str] | None] = field(default_factory=dict, repr=False)
    _matchers: dict[tuple[str, frozenset[str]], list[re.Pattern[str]]] = field(
        default_factory=dict, repr=False
    )

    def _alternation(self, indices: tuple[int, ...]) -> re.Pattern[str] | None:
        if indices not in self._compiled:
            pattern = "|".join(f"(?:{self.templates[k].pattern})(?P<m{k}>)" for k in indices)
            self._compiled[indices] = re.compile(pattern) if indices else None
        return self._compiled[indices]

    def _open(self, keys: frozenset[str]) -> tuple[int, ...]:
        """The open-start templates whose anchor is among the keys (or that have none)."""
        hits = [k for key in keys & self.anchors.keys() for k in self.anchors[key]]
        return tuple(sorted(set(hits).union(self.unanchored)))

    def matchers(self, first_key: str, keys: frozenset[str]) -> list[re.Pattern[str]]:
        """The alternations to try on a skeleton with this first key and these keys."""
        cache_key = (first_key, keys & self.anchor_keys)
        found = self._matchers.get(cache_key)
        if found is None:
            both = (self._alternation(self._open(keys)), self._alternation(self.keyed.get(first_key, ())))
            found = [m for m in both if m is not None]
            self._matchers[cache_key] = found
        return found

    def candidates(self, first_key: str, keys: frozenset[str]) -> list[int]:
        """Indices of every template that may match such a skeleton, in priority order."""
        return sorted(self._open(keys) + self.keyed.get(first_key, ()))


# The first skeleton keys a template can start with; None when it can start with any word.
First = frozenset[str] | None
_ID_FIRSTS = {
    "job_id": frozenset({"JOB", "NUM"}),
    "appointment_id": frozenset({"APPT"}),
    "customer_id": frozenset({"CUST", "NUM"}),
    "location_id": frozenset({"LOC", "NUM"}),
    "project_id": frozenset({"PROJ", "NUM"}),
    "when": frozenset({"TIME"}),
    "range": frozenset({"TIME"}),
    "starts": frozenset({"TIME"}),
    "completes": frozenset({"TIME"}),
}


def _union(a: First, b: First) -> First:
    return None if a is None or b is None else a | b


class _Compiler:
    """Turns one template string into a regex fragment, and finds the keys it can start with."""

    def __init__(self, rules: dict[str, str], prefix: str) -> None:
        self.rules = rules
        self.prefix = prefix
        self.slots: list[str] = []
        self.groups: list[str] = []
        self.variants: list[str] = []
        self.unbounded = 0
        self.first: First = frozenset()
        self.anchor: First = None

    def compile(self, template: str, *, search: bool = False) -> str:
        tokens = _TEMPLATE_TOKEN.findall(template)
        pattern, rest, first, _ = self._sequence(tokens, 0, stop=(), search=search, depth=0)
        if rest != len(tokens):
            raise GrammarError(f"unbalanced template: {template!r}")
        if self.unbounded > 2:
            raise GrammarError(f"too many open-ended parts (at most 2): {template!r}")
        self.first = first
        self.anchor = None
        lead = tokens[0] if tokens else ""
        lead_slot = lead[1:-1].partition(":")[0] if lead.startswith("{") else ""
        if first is None and (lead == "..." or (lead_slot and lead_slot not in _ID_FIRSTS)):
            # "... jobs ...", "{technician} 's ...": what follows the open start must be in the message
            remainder = _Compiler(self.rules, self.prefix + "x")
            self.anchor = remainder._sequence(tokens[1:], 0, stop=(), search=search, depth=0)[2]
        return pattern

    def _sequence(
        self, toks: list[str], i: int, stop: tuple[str, ...], search: bool, depth: int
    ) -> tuple[str, int, First, bool]:
        """(regex, next index, first keys, can be empty) of a sequence of elements."""
        parts: list[str] = []
        first: First = frozenset()
        open_start = True  # every element so far can be empty: the next one's first keys count
        while i < len(toks) and toks[i] not in stop:
            tok = toks[i]
            nullable = False
            el_first: First
            if tok in ("(", "["):
                close = ")" if tok == "(" else "]"
                alts: list[str] = []
                el_first = frozenset()
                i += 1
                while True:
                    alt, i, alt_first, alt_nullable = self._sequence(
                        toks, i, stop=("|", close), search=search, depth=depth + 1
                    )
                    alts.append(alt)
                    el_first = _union(el_first, alt_first)
                    nullable = nullable or alt_nullable
                    if i >= len(toks):
                        raise GrammarError(f"missing {close!r}")
                    if toks[i] == close:
                        i += 1
                        break
                    i += 1  # "|"
                parts.append("(?:" + "|".join(alts) + ")" + ("?" if close == "]" else ""))
                nullable = nullable or close == "]"
            elif tok in (")", "]", "|"):
                raise GrammarError(f"unexpected {tok!r}")
            else:
                i += 1
                if tok == "...":
                    self.unbounded += 1
                    parts.append(r"(?:\S+ )*?")
                    el_first, nullable = None, True
                elif tok.startswith("<"):
                    name = tok[1:-1]
                    if name not in self.rules:
                        raise GrammarError(f"unknown rule <{name}>")
                    if depth > 8:
                        raise GrammarError("rules nest too deep")
                    sub = _TEMPLATE_TOKEN.findall(self.rules[name])
                    inner, _, el_first, nullable = self._sequence(
                        sub, 0, stop=(), search=search, depth=depth + 1
                    )
                    parts.append("(?:" + inner + ")")
                elif tok.startswith("{"):
                    slot, _, variant = tok[1:-1].partition(":")
                    parts.append(self._slot(slot, variant, search))
                    el_first = _ID_FIRSTS.get(slot)
                else:
                    parts.append(re.escape(tok) + " ")
                    el_first = frozenset({tok})
            if open_start:
                first = _union(first, el_first)
                open_start = nullable
        return "".join(parts), i, first, open_start

    def _slot(self, slot: str, variant: str, search: bool) -> str:
        slot_type = SLOT_TYPES.get(slot)
        if slot_type is None:
            raise GrammarError(f"unknown slot {{{slot}}}")
        if variant and (slot, variant) not in VARIANT_READERS:
            raise GrammarError(f"unknown reader {{{slot}:{variant}}}")
        if slot in self.slots:
            raise GrammarError(f"slot {{{slot}}} twice in one template")
        group = f"{self.prefix}_{slot}"
        self.slots.append(slot)
        self.groups.append(group)
        self.variants.append(variant)
        inner = slot_type.search_pattern if search else slot_type.pattern
        inner = VARIANT_PATTERNS.get((slot, variant), inner)
        if slot in LIST_SLOTS:
            # only the words of the list: a template cannot match a value its reader rejects
            phrases = sorted(lists()[slot], key=len, reverse=True)
            inner = "(?:" + "|".join(re.escape(p) + " " for p in phrases) + ")"
        if slot_type.unbounded:
            self.unbounded += 1
        return f"(?P<{group}>{inner})"


def _load_yaml(path: Path) -> Any:
    import yaml  # imported lazily: `import intents` stays light

    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def sentence_files() -> list[Path]:
    return sorted(p for p in SENTENCES_DIR.glob("*.yaml") if not p.name.startswith("_"))


def _by_first_word(phrases: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    table: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        if words:
            table.setdefault(words[0], []).append(words)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in table.items()}


def _literal_words(sources: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for source in sources:
        for tok in _TEMPLATE_TOKEN.findall(source):
            if tok.isalpha() or ("-" in tok and tok.replace("-", "").isalpha()) or "'" in tok:
                words.add(tok)
    return words


@cache
def load_grammar() -> Grammar:
    """Read and compile every sentences file (once per process)."""
    common = _load_yaml(SENTENCES_DIR / "_common.yaml")
    rules: dict[str, str] = common.get("rules", {})
    ranked: list[tuple[int, int, Template]] = []
    intents: dict[str, IntentSpec] = {}
    extras: dict[str, tuple[Template, ...]] = {}
    counter = 0
    for path in sentence_files():
        data = _load_yaml(path)
        name = data["intent"]
        if name not in INTENTS:
            raise GrammarError(f"{path.name}: unknown intent {name!r}")
        slots = tuple(data.get("slots", ()))
        for slot in slots:
            if slot not in SLOT_TYPES:
                raise GrammarError(f"{path.name}: unknown slot {slot!r}")
        intents[name] = IntentSpec(name, slots, data.get("time_slot"), bool(data.get("hours")))
        base_priority = int(data.get("priority", 50))
        for group in data.get("groups", ()):
            priority = int(group.get("priority", base_priority))
            fixed = tuple((group.get("fixed") or {}).items())
            for sentence in group["sentences"]:
                counter += 1
                compiler = _Compiler(rules, f"t{counter}")
                pattern = compiler.compile(sentence)
                for slot in compiler.slots:
                    if slot not in slots:
                        raise GrammarError(f"{path.name}: {{{slot}}} is not a slot of {name}")
                template = Template(
                    name,
                    sentence,
                    pattern,
                    tuple(compiler.slots),
                    tuple(compiler.groups),
                    fixed,
                    tuple(compiler.variants),
                    compiler.first,
                    compiler.anchor,
                )
                ranked.append((priority, counter, template))
        found_extras = []
        for sentence in data.get("extras", ()):
            counter += 1
            compiler = _Compiler(rules, f"t{counter}")
            pattern = compiler.compile(sentence, search=True)
            found_extras.append(
                Template(
                    name,
                    sentence,
                    pattern,
                    tuple(compiler.slots),
                    tuple(compiler.groups),
                    variants=tuple(compiler.variants),
                )
            )
        extras[name] = tuple(found_extras)
    ranked.sort(key=lambda r: (r[0], r[1]))
    templates = tuple(t for _, _, t in ranked)
    keyed: dict[str, list[int]] = {}
    wildcard: list[int] = []
    for index, template in enumerate(templates):
        if template.first is None:
            wildcard.append(index)
        else:
            for key in template.first:
                keyed.setdefault(key, []).append(index)
    anchors: dict[str, list[int]] = {}
    for index in wildcard:
        for key in templates[index].anchor or ():
            anchors.setdefault(key, []).append(index)
    filler = common.get("filler", {})
    return Grammar(
        templates=templates,
        intents=intents,
        extras=extras,
        keyed={key: tuple(found) for key, found in keyed.items()},
        wildcard=tuple(wildcard),
        anchors={key: tuple(found) for key, found in anchors.items()},
        anchor_keys=frozenset(anchors),
        unanchored=tuple(k for k in wildcard if templates[k].anchor is None),
        leading_filler=_by_first_word(str(p) for p in filler.get("leading", ())),
        dropped_words=frozenset(filler.get("anywhere", ())),
        words=frozenset(_literal_words([t.source for t in templates] + list(rules.values()))),
    )
