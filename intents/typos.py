"""Typo tolerance on the grammar's own vocabulary ("cancle" -> cancel, "thrusday" -> thursday).

Only the skeleton sees a correction: the token keeps its span, so free text (a reason, a note) and
names are cut from what the user typed. A word is corrected when it is unknown, in lower case as
typed, and exactly one key word of intents/data/vocabulary.yaml (or a weekday, month or list word)
is within a bounded edit distance (optimal string alignment, so a swap of two letters is one edit):

- 3 letters: only a swap, and only into one of the few small words of `small_words` ("teh 14th" -> the
  14th, "adn" -> and; names such as "sue" or "dad" stay as typed),
- 4 letters: only a swap ("hlod" -> hold; "mike" is never "make"),
- 5 to 7 letters: one edit ("asign" -> assign),
- 8 letters or more: two edits ("reschdeule" -> reschedule).

Of two key words equally close, the one ending in the typed word's last letter wins; else no guess.

Numbers, mentions, links and capitalised words (names) are never touched.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from intents.text import SPELLING, Token
from intents.vocabulary import vocabulary

MIN_LENGTH = 3


@cache
def _vocabulary() -> tuple[tuple[str, ...], frozenset[str]]:
    """(key words a typo may be read as, words that are never corrected)."""
    from intents import timeparse
    from intents.grammar import load_grammar
    from intents.slots import lists

    data = vocabulary()
    listed = {w for table in lists().values() for words in table.values() for w in words if " " not in w}
    keywords = set(data["keywords"]) | set(timeparse.WEEKDAYS) | set(timeparse.MONTHS) | listed
    known = set(data["common"]) | keywords | set(SPELLING) | set(SPELLING.values())
    known |= set(timeparse.COUNT_WORDS) | set(timeparse.ORDINAL_WORDS)
    known |= load_grammar().words
    targets = tuple(sorted(w for w in keywords if len(w) >= 4 and w.isalpha()))
    return targets, frozenset(known)


@cache
def _small_words() -> dict[str, str]:
    """Each swap of two neighbouring letters of a small word -> the word ("teh" -> the)."""
    swaps: dict[str, str] = {}
    for word in vocabulary()["small_words"]:
        for i in range(len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped != word:
                swaps[swapped] = word
    return swaps


def _allowed(word: str, target: str) -> bool:
    distance = OSA.distance(word, target)
    if len(word) <= 4:
        return distance == 1 and sorted(word) == sorted(target) and len(word) == len(target)
    return distance <= (1 if len(word) <= 7 else 2)


@lru_cache(maxsize=4096)
def correction(word: str) -> str | None:
    """The key word a lower-case unknown word is a typo of, or None."""
    if len(word) < MIN_LENGTH or not word.isalpha():
        return None
    targets, known = _vocabulary()
    if word in known:
        return None
    if len(word) == 3:
        return _small_words().get(word)
    found = extract(word, targets, scorer=OSA.distance, score_cutoff=2, limit=3)
    hits = [(distance, target) for target, distance, _ in found if _allowed(word, target)]
    best = [target for distance, target in hits if distance == min(hits)[0]]
    if len(best) > 1:
        # equally close: the one that ends like the typed word ("appointmens" -> appointments,
        # "completd" -> completed: an ending is rarely the letter mistyped)
        best = [target for target in best if target[-1] == word[-1]]
    if len(best) != 1:
        return None  # nothing close, or two key words equally close: no guess
    return best[0]


def is_known(word: str) -> bool:
    """Whether a lower-case word is one the parser knows (a template, time or list word, or `common`)."""
    return word in _vocabulary()[1]


def correct(tokens: list[Token], text: str) -> list[Token]:
    """The tokens with misspelt key words replaced by their canonical spelling."""
    out: list[Token] | None = None
    for index, tok in enumerate(tokens):
        typed = text[tok.start : tok.end]
        if tok.kind != "word" or len(tok.norm) < MIN_LENGTH:
            continue
        if not typed.islower() and not (index == 0 and typed[1:].islower()):
            continue  # a capitalised word may be a name; the first word of a message may be capitalised
        fixed = correction(tok.norm)
        if fixed is None:
            continue
        if out is None:
            out = list(tokens)
        out[index] = tok._replace(norm=SPELLING.get(fixed, fixed))
    return tokens if out is None else out
