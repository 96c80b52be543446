"""Command line of the parser (CONTRACT section 2).

    python -m intents parse "TEXT" [--now 2026-11-24T09:00:00] [--tz America/Chicago]
    python -m intents parse < lines.jsonl     # {"text": ..., "now": ..., "tz": ...} per line
    python -m intents [repl]                  # try phrasings interactively

The default time zone is $ST_TIMEZONE (else America/Chicago); the default `now` is the current time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from intents.api import parse, parse_slot

DEFAULT_TZ = "America/Chicago"


def default_tz() -> str:
    return os.environ.get("ST_TIMEZONE") or DEFAULT_TZ


def _now(value: object, tz: str) -> datetime:
    if value in (None, ""):
        return datetime.now(ZoneInfo(tz))
    if not isinstance(value, str):
        raise ValueError("now must be an ISO 8601 string")
    return datetime.fromisoformat(value)


def _valid_tz(value: object, fallback: str) -> str:
    if value in (None, ""):
        return fallback
    if not isinstance(value, str):
        raise ValueError("tz must be an IANA time zone name")
    try:
        ZoneInfo(value)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def parse_line(line: str, fallback_tz: str) -> dict[str, Any]:
    """One batch line in, one result out; a malformed line gives `unknown` with an `error`."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("each line must be a JSON object")
        tz = _valid_tz(request.get("tz"), fallback_tz)
        now = _now(request.get("now"), tz)
        text = request.get("text")
        if text is not None and not isinstance(text, str):
            raise ValueError("text must be a string")
    except ValueError as exc:
        return {"intent": "unknown", "slots": {}, "error": str(exc)}
    return parse(text or "", now=now, tz=tz)


def run_batch(stdin: IO[str], stdout: IO[str], tz: str) -> int:
    while True:
        line = stdin.readline()
        if not line:
            return 0
        if not line.strip():
            result: dict[str, Any] = {"intent": "unknown", "slots": {}}
        else:
            result = parse_line(line, tz)
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()


def run_repl(stdin: IO[str], stdout: IO[str], tz: str, now_text: str | None) -> int:
    stdout.write(
        "Type a message to parse. Commands: :now ISO | :now (current time) | :tz ZONE | "
        ":slot NAME TEXT | :quit\n"
    )
    while True:
        stdout.write("intents> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return 0
        line = line.strip()
        try:
            if line in (":q", ":quit", ":exit"):
                return 0
            if line.startswith(":now"):
                now_text = line[4:].strip() or None
                _now(now_text, tz)
                stdout.write(f"now = {now_text or 'current time'}\n")
                continue
            if line.startswith(":tz"):
                tz = _valid_tz(line[3:].strip(), tz)
                stdout.write(f"tz = {tz}\n")
                continue
            now = _now(now_text, tz)
            if line.startswith(":slot"):
                _, slot, text = (line.split(None, 2) + ["", ""])[:3]
                value = parse_slot(slot, text, now=now, tz=tz)
                stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
                continue
            stdout.write(json.dumps(parse(line, now=now, tz=tz), ensure_ascii=False, indent=2) + "\n")
        except ValueError as exc:
            stdout.write(f"error: {exc}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intents", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    p_parse = sub.add_parser("parse", help="parse TEXT, or JSON lines from stdin when TEXT is absent")
    p_parse.add_argument("text", nargs="?", help="the message to parse")
    p_parse.add_argument("--now", help="reference time, ISO 8601 (default: the current time)")
    p_parse.add_argument("--tz", help=f"IANA time zone (default: $ST_TIMEZONE or {DEFAULT_TZ})")
    p_repl = sub.add_parser("repl", help="try phrasings interactively")
    p_repl.add_argument("--now")
    p_repl.add_argument("--tz")
    args = parser.parse_args(argv)
    try:
        tz = _valid_tz(getattr(args, "tz", None) or default_tz(), DEFAULT_TZ)
        if getattr(args, "now", None):
            _now(args.now, tz)
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "parse":
        if args.text is None:
            return run_batch(sys.stdin, sys.stdout, tz)
        result = parse(args.text, now=_now(args.now, tz), tz=tz)
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return 0
    return run_repl(sys.stdin, sys.stdout, tz, getattr(args, "now", None))
