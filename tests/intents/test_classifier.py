"""The fallback classifier: trained from our own data, cached by its hash, used only when no template
matches, and unsure readings come with alternatives."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from intents import classifier, parse
from intents.grammar import load_grammar
from intents.recognizer import ALTERNATIVE, MAX_ALTERNATIVES, _read_clauses
from intents.slots import Context
from intents.timeparse import local_now

NOW = datetime(2026, 11, 24, 9, 0)
TZ = "America/Chicago"


def test_training_data_covers_every_intent_and_the_non_requests() -> None:
    intents = {intent for _, intent in classifier.training_texts()}
    assert intents == set(load_grammar().intents) | {"unknown"}


def test_the_generated_sentences_are_the_same_on_every_run() -> None:
    """In fresh interpreters with different hash seeds (one process would reuse its own state)."""
    script = (
        "import json; from intents import classifier; print(json.dumps(classifier.training_texts()[:200]))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and json.loads(runs[0]) == [list(t) for t in classifier.training_texts()[:200]]


def test_a_templates_sentences_do_not_depend_on_the_templates_before_it() -> None:
    expander = classifier._Expander({}, random.Random(0))
    template = "(cancel|kill|scrap) [the] JOB [now]"
    alone = classifier.samples(expander, "cancel_job", template)
    classifier.samples(expander, "hold_job", "(hold|park) JOB [until TIME]")  # a template added before it
    assert classifier.samples(expander, "cancel_job", template) == alone
    assert len(alone) > 1


def test_the_cache_key_changes_with_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = classifier.data_hash()
    extra = tmp_path / "more.yaml"
    extra.write_text("sentences: [one more]\n")
    original = classifier._data_files
    monkeypatch.setattr(classifier, "_data_files", lambda: [*original(), extra])
    assert classifier.data_hash() != before


def test_a_saved_model_loads_back_the_same(tmp_path: Path) -> None:
    model = classifier.load_model()
    assert model is not None
    path = tmp_path / "model.pkl"
    classifier._save(model, path)
    again = classifier._load(path)
    assert again is not None and again.classes == model.classes
    skeleton = classifier.skeleton_of("kill 4410 pls")
    assert again.scores(skeleton)[0][0] == model.scores(skeleton)[0][0] == "cancel_job"
    assert not list(tmp_path.glob("*.tmp"))  # written atomically: no temporary file is left
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == "*"  # a cache is never committed


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("yo kill 4410 pls", "cancel_job"),
        ("4410 over and done", "complete_job"),
        ("who won the game last night", "unknown"),
        ("order more copper fittings", "unknown"),
    ],
)
def test_the_classifier_alone_reads_phrasings_no_template_was_written_for(text: str, intent: str) -> None:
    ranked = classifier.classify(classifier.skeleton_of(text))
    assert abs(sum(p for _, p in ranked) - 1.0) < 1e-4
    # Its top reading may move as the intents are tuned; the right one stays among those it would offer:
    # the top one or an alternative (as the recognizer picks them).
    offered = [ranked[0][0]] + [i for i, p in ranked[1:] if p >= ALTERNATIVE][:MAX_ALTERNATIVES]
    assert intent in offered, ranked[:4]
    if intent == "unknown":  # not a request: never acted on, whatever else it might be taken for
        assert parse(text, now=NOW, tz=TZ)["intent"] == "unknown"


def _offered(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The readings a parse offers: its intent, or the alternatives it asks about (intent -> slots)."""
    readings = {result["intent"]: result["slots"]}
    for alternative in result.get("alternatives", []):
        readings.setdefault(alternative["intent"], alternative["slots"])
    return readings


@pytest.mark.parametrize(
    ("text", "intent"),
    [("4410 all finished up", "complete_job"), ("toss 4410 on hold", "hold_job")],
)
def test_it_is_the_fallback_only_when_no_template_matches(text: str, intent: str) -> None:
    ctx = Context(local_now(NOW, TZ), TZ)
    assert _read_clauses(text, load_grammar(), ctx)["intent"] == "unknown"
    offered = _offered(parse(text, now=NOW, tz=TZ))
    assert offered.get(intent) == {"job_id": 4410}, offered


@pytest.mark.parametrize(
    "text",
    [
        "anyone know a good taco place",
        "please create an invoice",
        "the carpenter quit",
        "send the estimate to the client",
        "my phone died",
        "I think it will rain tomorrow",
        "the electrician is rewiring the panel on friday",
    ],
)
def test_non_requests_stay_unknown(text: str) -> None:
    assert parse(text, now=NOW, tz=TZ)["intent"] == "unknown"


def test_an_unsure_reading_offers_alternatives_with_their_slots() -> None:
    result = parse("put a rush on 4410", now=NOW, tz=TZ)
    assert result["intent"] == "unknown"
    alternatives = result["alternatives"]
    assert 1 <= len(alternatives) <= 3
    assert all(a["slots"].get("job_id") == 4410 for a in alternatives)
    assert len({a["intent"] for a in alternatives}) == len(alternatives)


def test_a_template_match_carries_no_alternatives() -> None:
    assert parse("cancel job 4410", now=NOW, tz=TZ) == {"intent": "cancel_job", "slots": {"job_id": 4410}}
