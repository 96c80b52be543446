"""Which hold or cancel reason a user's words mean: by the meaningful words of the reasons' names.

"customer waiting on insurance approval" is *Awaiting approval*: "approval" is a word of that name, and
no other reason has it. Words are compared by their stem ("approve", "approved", "approval") and by a
few words of the trade that say the same ("rain" and "storm" are weather, "too expensive" is price,
"booked twice" is a duplicate). A word that several reasons share ("waiting") counts less, and so do
words that say little on their own ("delay", "pending"). The reason with the best score is the one
meant; when two score the same, or none scores, the user is asked (the caller offers the choice).

Pure functions of the words and the rows (`name` of each row).
"""

from __future__ import annotations

import re
from typing import Any

from bot.dialog import rules

Row = dict[str, Any]

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "for",
        "on",
        "to",
        "of",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "by",
        "from",
        "in",
        "it",
        "its",
        "that",
        "this",
        "these",
        "until",
        "till",
        "still",
        "and",
        "or",
        "but",
        "so",
        "my",
        "our",
        "their",
        "his",
        "her",
        "they",
        "we",
        "i",
        "you",
        "he",
        "she",
        "them",
        "us",
        "just",
        "now",
        "some",
        "any",
        "at",
        "as",
        "per",
        "too",
        "very",
        "due",
        "because",
        "since",
    ]
)
# Words that say little alone: they count a quarter of a word that names the reason
_WEAK = frozenset(
    [
        "wait",
        "delay",
        "pend",
        "hold",
        "cancel",
        "went",
        "high",
        "low",
        "other",
        "need",
        "issue",
        "problem",
        "reason",
    ]
)
# Who the reason is about: often the subject of a sentence about another reason ("customer waiting on
# insurance approval"), so half a word
_SUBJECT = frozenset(["customer"])
# Stems that say the same as a reason's word (the key is the stem a reason's name gives)
_SAME: dict[str, tuple[str, ...]] = {
    "wait": ("await", "waitin"),
    "approv": (
        "approv",
        "authoriz",
        "authoris",
        "permission",
        "insurance",
        "adjuster",
        "sign-off",
        "signoff",
        "go-ahead",
        "ok'd",
        "okay'd",
    ),
    "part": ("part", "material", "equipment", "backorder", "back-order", "shipment", "supplier", "stock"),
    "weather": (
        "weather",
        "rain",
        "rainy",
        "storm",
        "stormy",
        "snow",
        "snowy",
        "ice",
        "icy",
        "hail",
        "wind",
        "windy",
        "flood",
        "freez",
        "freezing",
        "thunder",
        "thunderstorm",
        "lightning",
        "hurricane",
        "tornado",
        "heat",
    ),
    "request": ("request", "ask", "want", "prefer", "wish", "travel", "vacation"),
    "customer": ("customer", "client", "homeowner", "owner", "tenant", "caller", "cust"),
    "duplicat": ("duplicat", "double", "twice", "dupe", "dup", "repeat"),
    "book": ("book", "booking"),
    "cancel": ("cancel", "mind"),  # "changed their mind"
    "pric": (
        "pric",
        "expensive",
        "cost",
        "costly",
        "pricey",
        "afford",
        "budget",
        "cheap",
        "cheaper",
        "quote",
    ),
    "another": ("another", "competitor", "competit", "elsewhere", "else", "different"),
    "company": ("company", "compani", "contractor", "provider", "vendor", "plumber", "electrician", "hvac"),
}
_CONCEPT = {said: concept for concept, words in _SAME.items() for said in words}
# Words that say a reason's word only loosely ("something else came up" is no other company, "no heat" no
# weather, "ask" not always the customer's request): half a word, so one alone never picks a reason
_BROAD = frozenset(["else", "different", "heat", "quote", "ask"])
_SUFFIXES = ("ations", "ation", "ing", "ed", "al", "es", "s", "e")

# How much the best reason must lead the next one by, and how much it must score at all
_LEAD = 0.2
# One distinctive word of one reason; the subject ("customer") or a broad word alone is not enough, nor is a
# weak word alone ("delayed"): with those the user is asked
_ENOUGH = 0.75


def stem(word: str) -> str:
    """A crude stem: "approval", "approved", "approve" -> "approv"; "parts" -> "part"; "canceled",
    "cancelled" -> "cancel"."""
    word = word.casefold().strip("'")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "cancell" -> "cancel"
    return word


def concepts(text: str) -> set[str]:
    """The meaningful words of a text as concepts: stems, with words of the trade read as a reason's word."""
    return set(_said(text))


def _said(text: str) -> dict[str, float]:
    """Each concept of a text with how fully it is said: 1, or 0.5 when only broad words say it."""
    out: dict[str, float] = {}
    for word in re.findall(r"[a-z][a-z'-]*", text.casefold()):
        if word in _STOP:
            continue
        concept, full = stem(word), 1.0
        for form in (word, stem(word)):
            if form in _CONCEPT:
                concept, full = _CONCEPT[form], 0.5 if form in _BROAD else 1.0
                break
        out[concept] = max(out.get(concept, 0.0), full)
    return out


def scores(words: str, rows: list[Row]) -> list[tuple[float, Row]]:
    """Each row's score for the words: the concepts they share, a concept shared by several rows (or a weak
    one) counting less. Best first."""
    names = [concepts(str(r.get("name") or "")) for r in rows]
    said = _said(words)
    shared: dict[str, int] = {}
    for name in names:
        for concept in name:
            shared[concept] = shared.get(concept, 0) + 1

    def weight(concept: str) -> float:
        kind = 0.25 if concept in _WEAK else 0.5 if concept in _SUBJECT else 1.0
        return kind * said[concept] / shared[concept]

    scored = [(sum(weight(c) for c in name & set(said)), row) for name, row in zip(names, rows, strict=True)]
    return sorted(scored, key=lambda pair: -pair[0])


def match_reason(words: str, rows: list[Row]) -> rules.Match:
    """The reason the words mean: its exact name or a name said within them, else the one whose
    meaningful words they share most; "many" (the best ones) when two score alike, "none" when none
    scores or one weak word alone does ("delayed"; a misspelling is then matched as `rules.match_named`
    does)."""
    plain = rules.match_named(words, rows, threshold=101)  # exact or within only, never fuzzy here
    if plain.kind == "one":
        return plain
    ranked = [(score, row) for score, row in scores(words, rows) if score > 0]
    if ranked and ranked[0][0] >= _ENOUGH:
        best = ranked[0][0]
        if len(ranked) == 1 or ranked[1][0] <= best - _LEAD:
            return rules.Match("one", [ranked[0][1]])
        return rules.Match("many", [row for score, row in ranked if score > best - _LEAD])
    if len(ranked) > 1:  # only weak words ("waiting"): ask among the reasons they touch
        return rules.Match("many", [row for _, row in ranked])
    return rules.match_named(words, rows)


def pick_reason(text: str, options: list[tuple[str, str]]) -> str | None:
    """The reason option (value, label) an answer to "Which reason?" means: its number or place, its name,
    or the one reason its meaningful words name (`match_reason`, no misspelling guessed from a long
    sentence); None when unsure ("actually the furnace repair for barbara white" names no reason)."""
    picked = rules.pick_option(text, options, fuzzy=False)
    if picked is not None:
        return picked
    rows = [{"value": value, "name": label} for value, label in options]
    plain = rules.match_named(text, rows, threshold=101)
    match = plain if plain.kind == "one" else _by_words(text, rows)
    return str(match.row["value"]) if match.kind == "one" else None


def _by_words(words: str, rows: list[Row]) -> rules.Match:
    ranked = [(score, row) for score, row in scores(words, rows) if score > 0]
    if ranked and ranked[0][0] >= _ENOUGH and (len(ranked) == 1 or ranked[1][0] <= ranked[0][0] - _LEAD):
        return rules.Match("one", [ranked[0][1]])
    if len(words.split()) <= 3:  # a short answer misspelled ("wating for prts")
        return rules.match_named(words, rows)
    return rules.Match("none")
