"""``python -m benchmarks [NAME] [args...]``: run the benchmark module ``benchmarks.NAME`` (its ``main(argv)``)."""

from __future__ import annotations

import importlib
import sys

# name -> one-line description; each name is a module benchmarks.<name> with main(argv: list[str]) -> int.
BENCHMARKS: dict[str, str] = {
    "client": "ServiceTitan client per-call overhead vs a bare httpx call, against the in-process simulator",
    "alerts": "change at the simulator -> alert post (p50, max) and ServiceTitan calls per idle poll",
    "intents": "intent parser time per utterance vs dateparser.search_dates, and import time of intents",
    "load": "N users through POST /slack/events (1 and 2 processes, Redis, simulator) vs a bare Bolt app",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("usage: python -m benchmarks NAME [args...]\n\nbenchmarks:")
        for name, description in BENCHMARKS.items():
            print(f"  {name:<10} {description}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"benchmarks.{name}")
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
