"""The fallback when no template matches: a statistical intent classifier over the message skeleton.

Training data, all in the repository (nothing is downloaded):
- sentences the templates can generate (intents/data/sentences, expanded at random with a fixed seed),
- the fixture utterances (tests/intents/fixtures, when the checkout has them),
- messages that are no request (intents/data/not_requests.yaml) for the class "unknown".

Each text is read as the recognizer reads it (typo-corrected skeleton: "cancle job 5 friday" ->
"cancel JOB TIME"), and described by word uni- and bigrams plus character 3-grams of each word.
A multinomial logistic regression (scikit-learn) is trained on first use and cached on disk under a
hash of the data and of this module's feature version; later processes load plain numpy arrays, so
scikit-learn is imported only to train.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import random
import re
import tempfile
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from intents.grammar import _TEMPLATE_TOKEN, SENTENCES_DIR, load_grammar, sentence_files
from intents.slots import word_set

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
NOT_REQUESTS_FILE = DATA_DIR / "not_requests.yaml"
FIXTURES_DIR = Path(__file__).resolve().parent.parent / "tests" / "intents" / "fixtures"
FEATURE_VERSION = "3"  # change when features() or the training recipe changes: a new cache key
CACHE_ENV = "STBOT_CACHE_DIR"
SAMPLES_PER_TEMPLATE = 12
SEED = 20261124


# ------------------------------------------------------------------------------------------ features


def features(skeleton: str) -> list[str]:
    """Word unigrams and bigrams, and character 3-grams of each lower-case word."""
    words = skeleton.split()
    feats = [f"w:{w}" for w in words]
    feats.extend(f"b:{a} {b}" for a, b in zip(["^", *words], [*words, "$"], strict=True))
    for w in words:
        if w.islower() and len(w) > 2:
            padded = f"<{w}>"
            feats.extend(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return feats


# ------------------------------------------------------------------------------- training sentences

# What a placeholder or slot of a template stands for in a generated sentence.
_PLACEHOLDER_TEXT = {
    "JOB": ["job 4410", "job #812", "job 77"],
    "APPT": ["appointment 5120", "appt 66", "visit 903"],
    "NUM": ["4410", "#5120", "318"],
    "CUST": ["customer 45", "client 310"],
    "LOC": ["location 93", "site 12"],
    "PROJ": ["project 7", "project 120"],
    "TIME": ["friday", "tomorrow at 3pm", "next week", "monday morning", "12/3", "today"],
    "MENTION": ["<@U02TECH9>", "<@U05XYZ>"],
    "ADDR": ["12 Oak St", "4410 N Western Ave"],
}
_SLOT_TEXT = {
    "technician": ["Mike", "Sarah Lee", "Luis", "me"],
    "reason": ["customer asked", "waiting on parts", "they sold the house", "duplicate"],
    "text": ["gate code 1234", "dog in the yard", "call ahead"],
    "summary": ["no heat upstairs", "water on the floor"],
    "job_type": ["furnace repair", "drain cleaning", "ac tune-up", "leak repair"],
    "business_unit": ["plumbing", "hvac"],
    "customer": ["Bob Stone", "Maria Lopez"],
    "project": ["Riverside Remodel", "Hillcrest"],
    "minutes": ["20 minutes", "half an hour", "15 min"],
    "status": ["canceled", "on hold", "completed", "scheduled"],
    "priority": ["high", "urgent"],
    "kinds": ["hold", "cancel", "hold and cancel"],
}
_ANY_TEXT = ["", "", "", "please", "for the customer", "asap", "today", "thanks"]


class _Expander:
    """Random expansions of one template string (alternatives, optionals, rules, slots)."""

    def __init__(self, rules: dict[str, str], rng: random.Random) -> None:
        self.rules = rules
        self.rng = rng

    def expand(self, template: str) -> str:
        tokens = _TEMPLATE_TOKEN.findall(template)
        words, _ = self._sequence(tokens, 0, (), 0)
        return " ".join(w for w in words if w)

    def _sequence(self, toks: list[str], i: int, stop: tuple[str, ...], depth: int) -> tuple[list[str], int]:
        out: list[str] = []
        while i < len(toks) and toks[i] not in stop:
            tok = toks[i]
            if tok in ("(", "["):
                close = ")" if tok == "(" else "]"
                alts: list[list[str]] = []
                i += 1
                while True:
                    alt, i = self._sequence(toks, i, ("|", close), depth + 1)
                    alts.append(alt)
                    if i >= len(toks) or toks[i] == close:
                        i += 1
                        break
                    i += 1
                if close == "]" and self.rng.random() < 0.5:
                    continue
                out.extend(self.rng.choice(alts))
                continue
            i += 1
            if tok == "...":
                out.append(self.rng.choice(_ANY_TEXT))
            elif tok.startswith("<") and depth < 8:
                sub = _TEMPLATE_TOKEN.findall(self.rules.get(tok[1:-1], ""))
                out.extend(self._sequence(sub, 0, (), depth + 1)[0])
            elif tok.startswith("{"):
                slot = tok[1:-1].partition(":")[0]
                out.append(
                    self.rng.choice(_SLOT_TEXT.get(slot) or _PLACEHOLDER_TEXT.get(slot.upper(), ["x"]))
                )
            elif tok in _PLACEHOLDER_TEXT:
                out.append(self.rng.choice(_PLACEHOLDER_TEXT[tok]))
            else:
                out.append(tok)
        return out, i


def _load_yaml(path: Path) -> Any:
    import yaml

    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def samples(expander: _Expander, intent: str, sentence: str) -> list[str]:
    """The distinct sentences drawn from one template. Each template draws from its own seed, so adding
    or editing a template leaves every other template's sentences as they were (a str seed is hashed
    stably, whatever PYTHONHASHSEED)."""
    expander.rng = random.Random(f"{SEED}:{intent}:{sentence}")
    seen: dict[str, None] = {}
    for _ in range(SAMPLES_PER_TEMPLATE):
        text = expander.expand(sentence)
        if text:
            seen.setdefault(text)
    return list(seen)


def training_texts() -> list[tuple[str, str]]:
    """(text, intent) pairs to train on, in a fixed order."""
    common = _load_yaml(SENTENCES_DIR / "_common.yaml")
    expander = _Expander(common.get("rules", {}), random.Random(SEED))
    pairs: list[tuple[str, str]] = []
    for path in sentence_files():
        data = _load_yaml(path)
        for group in data.get("groups", ()):
            for sentence in group["sentences"]:
                pairs.extend((text, data["intent"]) for text in samples(expander, data["intent"], sentence))
    if FIXTURES_DIR.is_dir():
        for path in sorted(FIXTURES_DIR.glob("*.yaml")):
            data = _load_yaml(path)
            pairs.extend((str(c["text"]), data["intent"]) for c in data["cases"] if str(c["text"]).strip())
    for text in _load_yaml(NOT_REQUESTS_FILE)["sentences"]:
        pairs.extend([(str(text), "unknown")] * 3)  # fewer than the requests: weigh them up
    return pairs


# Words of the templates that say nothing of a request by themselves: no request cue.
_FUNCTION_WORDS = word_set(
    """a about again all already am an and any anybody anyone anything are aren't around as at away back
    be because been before being bit both but by can can't cannot cant could did didn't do does doesn't
    doing don't dont down each else enough every everybody everyone everything far few fine for from
    good got gotta had has hasn't have he he's her here his how how's hows i i'd i'll i'm i've if im in
    into is isn't it it's its just kind know least let let's lets like little lol many maybe me meh mine
    more must my myself nah naw never no nope not now of off ok okay old on one ones onto oops or other
    our out over own please pls plus r re really right s said say saying says second see seeing shall
    she she's should shouldn't shouldnt since so some somebody someone something sorry still stuff such
    supposed than thank thanks that the their them then there there's these they they're thing things
    third this through thx till time to too u ugh under until up us was wasn't we we'll we're well went
    were what what're what's whats when when's whenever where where's wheres which who who's whole whos
    whoops why will with within won't wont would yes you your get gets getting go goes going gonna come
    comes coming happen happened make made need needed needs want wanted wants look work worked working"""
)


def function_words() -> frozenset[str]:
    """Words that say nothing of a request by themselves ("the", "is", "get")."""
    return _FUNCTION_WORDS


def request_words() -> frozenset[str]:
    """Words of the templates and their rules (Grammar.words) that are a request cue: not function words."""
    return _request_words()


@cache
def _request_words() -> frozenset[str]:
    return load_grammar().words - _FUNCTION_WORDS


def _data_files() -> list[Path]:
    files = [SENTENCES_DIR / "_common.yaml", *sentence_files(), NOT_REQUESTS_FILE, Path(__file__)]
    if FIXTURES_DIR.is_dir():
        files.extend(sorted(FIXTURES_DIR.glob("*.yaml")))
    return files


def data_hash() -> str:
    """A hash of everything the model is trained from: the cache key."""
    digest = hashlib.sha256(FEATURE_VERSION.encode())
    for path in _data_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """STBOT_CACHE_DIR if set; else .cache beside this module (one per checkout, so checkouts with
    different data never evict each other's model) when writable; else the user's cache directory."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    local = Path(__file__).parent / ".cache"
    if os.access(local if local.exists() else local.parent, os.W_OK):
        return local
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stbot"


# ------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Model:
    """A trained classifier as plain arrays: feature -> row of `weights`, one column per class."""

    classes: tuple[str, ...]
    index: dict[str, int]
    weights: Any  # numpy array (features x classes)
    bias: Any  # numpy array (classes)

    def scores(self, skeleton: str) -> list[tuple[str, float]]:
        """(intent, probability) of every class, most likely first."""
        import numpy as np

        feats = features(skeleton)
        rows = [self.index[f] for f in feats if f in self.index]
        logits = self.bias.copy()
        if rows:
            logits += self.weights[rows].sum(axis=0) / math.sqrt(len(feats))
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        order = np.argsort(-probs)
        return [(self.classes[k], float(probs[k])) for k in order]


def skeleton_of(text: str) -> str:
    """The text as the recognizer reads it (typos corrected, entities as placeholders)."""

    from intents.recognizer import analyse

    return analyse(text, _TRAINING_DAY, load_grammar()).skeleton


_TRAINING_DAY = __import__("datetime").date(2026, 1, 5)


def train() -> Model:
    """Fit the classifier on training_texts() (imports scikit-learn)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    pairs = training_texts()
    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    labels: list[str] = []
    for r, (text, intent) in enumerate(pairs):
        feats = features(skeleton_of(text))
        scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        for f in feats:
            rows.append(r)
            cols.append(index.setdefault(f, len(index)))
            vals.append(scale)
        labels.append(intent)
    matrix = csr_matrix((vals, (rows, cols)), shape=(len(pairs), len(index)))
    # saga on these sparse, normalised rows converges in well under a second (lbfgs takes ~15 s)
    fitted = LogisticRegression(C=20.0, solver="saga", max_iter=300, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning at the tolerance is expected and harmless
        fitted.fit(matrix, labels)
    weights = np.ascontiguousarray(fitted.coef_.T, dtype=np.float32)
    return Model(tuple(str(c) for c in fitted.classes_), index, weights, fitted.intercept_.astype(np.float32))


def cache_file() -> Path:
    return cache_dir() / f"intent-classifier-{data_hash()}.pkl"


def _save(model: Model, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# a cache of trained models (intents/classifier.py), never committed\n*\n")
    payload = {"classes": model.classes, "index": model.index, "weights": model.weights, "bias": model.bias}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _load(path: Path) -> Model | None:
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)  # our own cache file, keyed by the hash of our data
        return Model(tuple(payload["classes"]), payload["index"], payload["weights"], payload["bias"])
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, AttributeError, ValueError):
        return None


@cache
def load_model() -> Model | None:
    """The cached model for the current data, trained and cached first if there is none; None when
    it cannot be trained here (the templates still work)."""
    path = cache_file()
    cached = _load(path)
    if cached is not None:
        return cached
    try:
        model = train()
    except ImportError:
        log.warning("scikit-learn is not installed: the intent parser runs without its fallback classifier")
        return None
    try:
        _save(model, path)
        for old in path.parent.glob("intent-classifier-*.pkl"):
            if old != path:
                old.unlink(missing_ok=True)  # trained from data that has changed since
    except OSError:
        log.warning("could not cache the intent classifier at %s", path)
    return model


_WORDS_RE = re.compile(r"[a-z]")


def classify(skeleton: str) -> list[tuple[str, float]]:
    """(intent, probability) for a skeleton, most likely first; [] without a model or words."""
    if not _WORDS_RE.search(skeleton):
        return []
    model = load_model()
    return model.scores(skeleton) if model is not None else []
