"""``python -m benchmarks intents``: speed of the intent parser against plain dateparser.

Runs every fixture utterance (tests/intents/fixtures) and every dev utterance
(shared/eval/dev_utterances.yaml, when present) through `intents.parse` in-process, and the same
texts through `dateparser.search_dates` as the baseline, and prints p50/p99/max per utterance,
utterances per second, the p50 ratio, and the import time of `intents` in a fresh interpreter.

Per-utterance times are the best of --repeats runs of that utterance (so a scheduler hiccup on a
busy machine does not pass for parser time); the "all runs" row keeps every run. The parser and
the baselines are timed one utterance after the other, so load on the machine hits them alike.
The baseline is plain `search_dates` (default languages, reference time set); the same call
restricted to English, which skips language detection, is shown as a stricter comparison.
Targets (issue 3): p50 <= 0.3 ms, >= 20x faster than the baseline at p50, import < 300 ms.
Targets (issue 10): mean (the marginal cost per utterance, including the fallback classifier for the
utterances no template matches) <= 0.5 ms, p99 <= 3 ms, import plus loading the cached classifier
<= 500 ms. The classifier is trained (and cached) before anything is timed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "intents" / "fixtures"
DEV_FILE = ROOT.parent / "shared" / "eval" / "dev_utterances.yaml"
DEV2_FILE = ROOT.parent / "shared" / "eval" / "dev2_utterances.yaml"

TARGET_P50_MS = 0.3
TARGET_P99_MS = 3.0
TARGET_RATIO = 20.0
TARGET_IMPORT_MS = 300.0
TARGET_MEAN_MS = 0.5
TARGET_LOAD_MS = 500.0

Case = tuple[str, datetime, str]


def load_cases(*dev_files: Path | None) -> tuple[list[Case], bool]:
    """Every case, and whether every dev file was among them."""
    files = sorted(FIXTURES.glob("*.yaml"))
    found = [f for f in dev_files if f is not None and f.exists()]
    with_dev = bool(dev_files) and len(found) == len(dev_files)
    files.extend(f for f in found if f is not None)
    cases: list[Case] = []
    for path in files:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        now = datetime.fromisoformat(str(data["now"]))
        cases.extend((str(c["text"]), now, str(data["tz"])) for c in data["cases"])
    return cases, with_dev


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def time_each(
    run: Callable[[Case], object], cases: Sequence[Case], repeats: int
) -> tuple[list[float], list[float]]:
    """(best time per case, every time) in seconds."""
    best: list[float] = []
    every: list[float] = []
    for case in cases:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            run(case)
            runs.append(time.perf_counter() - start)
        best.append(min(runs))
        every.extend(runs)
    return best, every


LOAD_CODE = (
    "import time; t = time.perf_counter(); import intents; from intents.classifier import load_model; "
    "from intents.grammar import load_grammar; load_grammar(); load_model(); print(time.perf_counter() - t)"
)


def import_time_ms(samples: int = 5, code: str = "") -> float:
    """Median wall time of `import intents` (or of `code`) in a fresh interpreter (byte-compiled)."""
    code = code or "import time; t = time.perf_counter(); import intents; print(time.perf_counter() - t)"
    results = []
    for _ in range(samples):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        results.append(float(out.stdout.strip()) * 1000)
    return statistics.median(results)


def row(name: str, seconds: Sequence[float]) -> tuple[str, float, float, float, float]:
    """name, p50 ms, p99 ms, max ms, utterances per second (count over the summed times)."""
    ordered = sorted(seconds)
    total = sum(seconds)
    return (
        name,
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.99) * 1000,
        ordered[-1] * 1000,
        len(seconds) / total if total > 0 else float("inf"),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks intents", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs per utterance for the parser (best is kept)"
    )
    parser.add_argument(
        "--baseline-repeats",
        type=int,
        default=3,
        help="runs per utterance for the English-only dateparser call",
    )
    parser.add_argument("--dev", type=Path, default=DEV_FILE, help="extra case file in the dev format")
    parser.add_argument("--dev2", type=Path, default=DEV2_FILE, help="second case file in the dev format")
    args = parser.parse_args(argv)

    from intents.classifier import load_model  # noqa: PLC0415 - trains and caches it if needed

    load_model()
    import_ms = import_time_ms()
    load_ms = import_time_ms(code=LOAD_CODE)
    cases, with_dev = load_cases(args.dev, args.dev2)
    source = "fixtures + dev + dev2" if with_dev else "fixtures (and the dev files found)"
    if not with_dev:
        print(f"WARNING: no dev files at {args.dev}, {args.dev2} (is ../shared beside the checkout?)")

    started = time.perf_counter()
    from intents import parse  # noqa: PLC0415 - timed on purpose

    parse("help", now=cases[0][1], tz=cases[0][2])
    first_parse_ms = (time.perf_counter() - started) * 1000

    def run_parser(case: Case) -> object:
        return parse(case[0], now=case[1], tz=case[2])

    import dateparser.search  # noqa: PLC0415 - heavy; only the baseline needs it

    def run_baseline(case: Case) -> object:
        # plain search_dates: default arguments, only the reference time set so it resolves like parse()
        return dateparser.search.search_dates(
            case[0], settings={"RELATIVE_BASE": case[1].replace(tzinfo=None)}
        )

    def run_english(case: Case) -> object:
        base = case[1].replace(tzinfo=None)
        return dateparser.search.search_dates(case[0], languages=["en"], settings={"RELATIVE_BASE": base})

    for case in cases:  # warm both: caches, lazily compiled templates, dateparser's language data
        run_parser(case)
    run_baseline(cases[0])
    run_english(cases[0])

    # Interleaved per utterance, so a busy machine slows the parser and the baseline alike.
    best: list[float] = []
    every: list[float] = []
    base_best: list[float] = []
    english_best: list[float] = []
    for case in cases:
        found_best, found_every = time_each(run_parser, [case], args.repeats)
        best += found_best
        every += found_every
        base_best += time_each(run_baseline, [case], 1)[0]
        english_best += time_each(run_english, [case], args.baseline_repeats)[0]
    rows = [
        row(f"intents.parse (best of {args.repeats})", best),
        row("intents.parse (all runs)", every),
        row("dateparser.search_dates (one run each)", base_best),
        row(f"  same, languages=['en'] (best of {args.baseline_repeats})", english_best),
    ]
    mean_ms = statistics.fmean(best) * 1000
    print(f"{len(cases)} utterances ({source}), one at a time in this process")
    print(f"{'':44} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'utt/s':>10}")
    for name, p50, p99, peak, rate in rows:
        print(f"{name:44} {p50:9.3f} {p99:9.3f} {peak:9.3f} {rate:10.0f}")
    ratio = rows[2][1] / rows[0][1] if rows[0][1] else float("inf")
    print(f"p50 speed-up over dateparser.search_dates: {ratio:.1f}x", end="")
    print(f" (over the English-only call: {rows[3][1] / rows[0][1]:.1f}x)")
    hostile = [("x" * 100_000, "100 kB word"), ("job 5 " * 17_000, "100 kB of ids"), ("🙂" * 50_000, "emoji"),
               ("note on job 5: " + "word " * 20_000, "100 kB note"), ("<@U1>" * 20_000, "mentions")]  # fmt: skip
    slowest = 0.0
    for text, _ in hostile:
        start = time.perf_counter()
        parse(text, now=cases[0][1], tz=cases[0][2])
        slowest = max(slowest, time.perf_counter() - start)
    print(f"hostile inputs ({', '.join(name for _, name in hostile)}): slowest {slowest * 1000:.1f} ms")
    print(f"intents.parse mean per utterance (best of {args.repeats}): {mean_ms:.3f} ms")
    print(f"import intents (fresh interpreter, median of 5): {import_ms:.1f} ms")
    print(f"import intents + grammar + cached classifier (fresh interpreter, median of 5): {load_ms:.1f} ms")
    print(f"first parse in a process (reads and compiles the grammar): {first_parse_ms:.1f} ms")
    checks = [
        ("p50 <= 0.3 ms", rows[0][1] <= TARGET_P50_MS),
        ("p99 <= 3 ms", rows[0][2] <= TARGET_P99_MS),
        (">= 20x baseline at p50", ratio >= TARGET_RATIO),
        ("import < 300 ms", import_ms < TARGET_IMPORT_MS),
        ("mean <= 0.5 ms", mean_ms <= TARGET_MEAN_MS),
        ("import + model load <= 500 ms", load_ms <= TARGET_LOAD_MS),
    ]
    print("targets: " + "; ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in checks))
    return 0
