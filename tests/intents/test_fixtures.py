"""Every fixture utterance parses to its intent and exactly its slots; the data files are consistent."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
import yaml

from intents import INTENTS, parse
from intents.grammar import GrammarError, _Compiler, sentence_files
from intents.names import SLOTLESS
from tests.intents.cases import FIXTURES_DIR, fixture_cases, fixture_files, load_fixture
from tests.shared_docs import SHARED

MIN_PHRASINGS = 15
CASES = fixture_cases()


@pytest.mark.parametrize(
    ("intent", "text", "slots", "now", "tz"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES]
)
def test_fixture_utterance(intent: str, text: str, slots: dict[str, Any], now: datetime, tz: str) -> None:
    assert parse(text, now=now, tz=tz) == {"intent": intent, "slots": slots}


def test_every_sentences_file_has_a_fixture_file() -> None:
    missing = [p.name for p in sentence_files() if not (FIXTURES_DIR / p.name).exists()]
    assert missing == []


def test_every_intent_has_sentences_except_unknown() -> None:
    # INTENTS is derived from the file names, so each file must name the intent it is called after.
    named = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))["intent"] for p in sentence_files()}
    assert all(stem == intent for stem, intent in named.items()), named
    assert set(named) == set(INTENTS) - {"unknown"}


def test_the_intents_are_the_ones_contract_section_2_lists() -> None:
    contract = SHARED / "CONTRACT.md"
    if not contract.exists():
        pytest.skip(f"no {contract} beside the repo")
    text = contract.read_text(encoding="utf-8")
    table = text.split("### Intents and slot names", 1)[1].split("\n\n", 2)[1]
    listed = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])
    }
    assert listed == set(INTENTS)


def test_fixture_files_name_their_intent_and_have_enough_phrasings() -> None:
    for path in fixture_files():
        data = load_fixture(path)
        assert data["intent"] == path.stem, path.name
        assert data["intent"] in INTENTS, path.name
        assert len(data["cases"]) >= MIN_PHRASINGS, path.name


def test_no_utterance_appears_twice() -> None:
    counts = Counter(" ".join(text.lower().split()) for _, text, _, _, _ in CASES)
    assert [text for text, n in counts.items() if n > 1] == []


def test_slotless_intents_have_no_slots_in_fixtures() -> None:
    assert all(not slots for intent, _, slots, _, _ in CASES if intent in SLOTLESS)


def test_a_template_names_only_known_reader_variants() -> None:
    compiler = _Compiler({}, "t0")
    assert "technician" in compiler.compile("for {technician:proper}")
    with pytest.raises(GrammarError):
        _Compiler({}, "t1").compile("for {technician:loud}")
