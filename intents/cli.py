"""Command line of the parser (CONTRACT section 2).

    python -m intents parse "TEXT" [--now 2026-11-24T09:00:00] [--tz America/Chicago]
    python -m intents parse < lines.jsonl     # {"text": ..., "now": ..., "tz": ...} per line
    python -m intents [repl]                  # try phrasings interactively
    python -m intents train                   # train and cache the fallback classifier now

The default time zone is the tenant's, ST_TIMEZONE, read like the bot's settings (bot/config.py): from
the environment, else from a `.env` file in the working directory, else America/Chicago. The default
`now` is the current time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from intents.api import parse, parse_slot

DEFAULT_TZ = "America/Chicago"


TZ_VARIABLE = "ST_TIMEZONE"


def default_tz(env_file: Path = Path(".env")) -> str:
    """The configured tenant time zone: the environment wins over `.env`, as in bot/config.py."""
    configured = os.environ.get(TZ_VARIABLE)
    if configured:
        return configured
    if env_file.is_file():
        from dotenv import dotenv_values  # imported lazily: only the CLI reads .env

        for name, value in dotenv_values(env_file).items():
            if name.upper() == TZ_VARIABLE and value:
                return value.strip()
    return DEFAULT_TZ


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


def parse_line(line: str, fallback_tz: str, errors: IO[str] | None = None, number: int = 0) -> dict[str, Any]:
    """One batch line in, one result out. A malformed line gives the contract's `unknown` answer,
    and the problem is written to `errors` (stderr) so the output stays exactly the contract's."""
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
        where = f"line {number}" if number else "input line"
        (errors or sys.stderr).write(f"intents: {where}: {exc}\n")
        (errors or sys.stderr).flush()
        return {"intent": "unknown", "slots": {}}
    return parse(text or "", now=now, tz=tz)


def run_batch(stdin: IO[str], stdout: IO[str], tz: str, stderr: IO[str] | None = None) -> int:
    number = 0
    while True:
        line = stdin.readline()
        if not line:
            return 0
        number += 1
        if not line.strip():
            result: dict[str, Any] = {"intent": "unknown", "slots": {}}
        else:
            result = parse_line(line, tz, stderr, number)
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
    p_parse.add_argument(
        "--tz", help=f"IANA time zone (default: ST_TIMEZONE from the environment or .env, else {DEFAULT_TZ})"
    )
    sub.add_parser("train", help="train and cache the fallback classifier now (else done on first use)")
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
    if args.command == "train":
        from intents.classifier import cache_file, load_model

        model = load_model()
        if model is None:
            sys.stderr.write("intents: scikit-learn is not installed; no classifier\n")
            return 1
        sys.stdout.write(f"intent classifier ({len(model.classes)} classes) cached at {cache_file()}\n")
        return 0
    if args.command == "parse":
        if args.text is None:
            return run_batch(sys.stdin, sys.stdout, tz)
        result = parse(args.text, now=_now(args.now, tz), tz=tz)
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return 0
    return run_repl(sys.stdin, sys.stdout, tz, getattr(args, "now", None))
