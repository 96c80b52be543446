"""Command line: `python -m bot [serve|simulator|demo|send-day-plans]` (shared/CONTRACT.md sections 3, 6)."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="ServiceTitan dispatch bot for Slack")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve Slack events, commands and interactivity over HTTP")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    sim = sub.add_parser("simulator", help="run the ServiceTitan simulator as an HTTP server")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--seed", help="JSON seed file (CONTRACT section 4); default: built-in demo data")
    demo = sub.add_parser("demo", help="the console demo on the simulator")
    demo.add_argument("--seed", help="JSON seed file for the simulator")
    demo.add_argument("--user", default=None, help="which demo user is talking (default: a dispatcher)")
    plans = sub.add_parser("send-day-plans", help="send each linked technician the day's appointments now")
    plans.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.config import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "simulator":
        from bot.simulator.server import run_simulator

        return run_simulator(host=args.host, port=args.port, seed=args.seed)
    if args.command == "demo":
        from bot.demo.console import run_demo

        return run_demo(settings, seed=args.seed, user=args.user)
    if args.command == "send-day-plans":
        from bot.alerts.runtime import send_day_plans

        return send_day_plans(settings, args.date)
    from bot.slack.server import run_bot

    if args.command == "serve":
        return run_bot(settings, mode="http", host=args.host, port=args.port)
    return run_bot(settings, mode="socket" if settings.slack_app_token else "http")


if __name__ == "__main__":
    sys.exit(main())
