"""Sentence templates (intents/data/sentences/*.yaml) compiled into regular expressions.

Templates are written over the *skeleton* of a message: canonical lower-case words, with entities
already replaced by upper-case placeholders (JOB, APPT, CUST, LOC, PROJ, NUM, TIME, MENTION).

    (reschedule|move|push) [the] <ref> to {when} ...

- `(a|b c)` alternatives, `[x]` optional, `<rule>` a shared rule of _common.yaml,
- `{slot}` a slot whose pattern comes from the slot type registry (intents.slots),
- `...` any words (including none).

All templates become one alternation tried in priority order; an empty marker group closing each
alternative tells which template matched (`Match.lastgroup`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from intents.names import INTENTS
from intents.slots import LIST_SLOTS, SLOT_TYPES, lists

DATA_DIR = Path(__file__).parent / "data"
SENTENCES_DIR = DATA_DIR / "sentences"
_TEMPLATE_TOKEN = re.compile(r"\{[a-z_]+\}|<[a-z_]+>|\.\.\.|[()\[\]|]|[^\s()\[\]|{}<>]+")


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


@dataclass(frozen=True)
class Grammar:
    templates: tuple[Template, ...]
    intents: dict[str, IntentSpec]
    extras: dict[str, tuple[Template, ...]]  # per intent: searched in the message for optional slots
    combined: re.Pattern[str]
    leading_filler: dict[str, tuple[tuple[str, ...], ...]]  # first word -> phrases, longest first
    dropped_words: frozenset[str]


class _Compiler:
    """Turns one template string into a regex fragment."""

    def __init__(self, rules: dict[str, str], prefix: str) -> None:
        self.rules = rules
        self.prefix = prefix
        self.slots: list[str] = []
        self.groups: list[str] = []
        self.unbounded = 0

    def compile(self, template: str, *, search: bool = False) -> str:
        tokens = _TEMPLATE_TOKEN.findall(template)
        pattern, rest = self._sequence(tokens, 0, stop=(), search=search, depth=0)
        if rest != len(tokens):
            raise GrammarError(f"unbalanced template: {template!r}")
        if self.unbounded > 2:
            raise GrammarError(f"too many open-ended parts (at most 2): {template!r}")
        return pattern

    def _sequence(
        self, toks: list[str], i: int, stop: tuple[str, ...], search: bool, depth: int
    ) -> tuple[str, int]:
        parts: list[str] = []
        while i < len(toks) and toks[i] not in stop:
            tok = toks[i]
            if tok in ("(", "["):
                close = ")" if tok == "(" else "]"
                alts: list[str] = []
                i += 1
                while True:
                    alt, i = self._sequence(toks, i, stop=("|", close), search=search, depth=depth + 1)
                    alts.append(alt)
                    if i >= len(toks):
                        raise GrammarError(f"missing {close!r}")
                    if toks[i] == close:
                        i += 1
                        break
                    i += 1  # "|"
                group = "(?:" + "|".join(alts) + ")"
                parts.append(group + ("?" if close == "]" else ""))
                continue
            if tok in (")", "]", "|"):
                raise GrammarError(f"unexpected {tok!r}")
            if tok == "...":
                self.unbounded += 1
                parts.append(r"(?:\S+ )*?")
            elif tok.startswith("<"):
                name = tok[1:-1]
                if name not in self.rules:
                    raise GrammarError(f"unknown rule <{name}>")
                if depth > 8:
                    raise GrammarError("rules nest too deep")
                sub = _TEMPLATE_TOKEN.findall(self.rules[name])
                inner, _ = self._sequence(sub, 0, stop=(), search=search, depth=depth + 1)
                parts.append("(?:" + inner + ")")
            elif tok.startswith("{"):
                slot = tok[1:-1]
                slot_type = SLOT_TYPES.get(slot)
                if slot_type is None:
                    raise GrammarError(f"unknown slot {{{slot}}}")
                if slot in self.slots:
                    raise GrammarError(f"slot {{{slot}}} twice in one template")
                group = f"{self.prefix}_{slot}"
                self.slots.append(slot)
                self.groups.append(group)
                inner = slot_type.search_pattern if search else slot_type.pattern
                if slot in LIST_SLOTS:
                    # only the words of the list: a template cannot match a value its reader rejects
                    phrases = sorted(lists()[slot], key=len, reverse=True)
                    inner = "(?:" + "|".join(re.escape(p) + " " for p in phrases) + ")"
                if slot_type.unbounded:
                    self.unbounded += 1
                parts.append(f"(?P<{group}>{inner})")
            else:
                parts.append(re.escape(tok) + " ")
            i += 1
        return "".join(parts), i


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
        intents[name] = IntentSpec(name, slots, data.get("time_slot"))
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
                    name, sentence, pattern, tuple(compiler.slots), tuple(compiler.groups), fixed
                )
                ranked.append((priority, counter, template))
        found_extras = []
        for sentence in data.get("extras", ()):
            counter += 1
            compiler = _Compiler(rules, f"t{counter}")
            pattern = compiler.compile(sentence, search=True)
            found_extras.append(
                Template(name, sentence, pattern, tuple(compiler.slots), tuple(compiler.groups))
            )
        extras[name] = tuple(found_extras)
    ranked.sort(key=lambda r: (r[0], r[1]))
    templates = tuple(t for _, _, t in ranked)
    combined = re.compile("|".join(f"(?:{t.pattern})(?P<m{k}>)" for k, t in enumerate(templates)))
    filler = common.get("filler", {})
    return Grammar(
        templates=templates,
        intents=intents,
        extras=extras,
        combined=combined,
        leading_filler=_by_first_word(str(p) for p in filler.get("leading", ())),
        dropped_words=frozenset(filler.get("anywhere", ())),
    )
