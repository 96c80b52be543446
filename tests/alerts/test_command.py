"""`python -m bot send-day-plans` as an operator or cron runs it: twice on one day sends once."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis

from tests.alerts.conftest import REDIS_URL, TECHNICIANS, AlertFakeSlack, dm_of
from tests.slack.fake_slack import BOT_TOKEN, serve

ROOT = Path(__file__).parents[2]
# The command uses the production key prefix; these are the keys it writes, removed afterwards.
WRITTEN = ("stbot:day-plan:*", "stbot:alert-*")
# ...in a Redis database of its own (1-15, picked per run), so that another checkout running this test at the
# same time on the shared Redis does not remove this run's keys between its two commands.
COMMAND_REDIS_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{random.SystemRandom().randint(1, 15)}"))


async def _cleanup() -> None:
    raw = aioredis.from_url(COMMAND_REDIS_URL)
    try:
        for pattern in WRITTEN:
            keys = [k async for k in raw.scan_iter(match=pattern)]
            if keys:
                await raw.delete(*keys)
    finally:
        await raw.aclose()


async def test_send_day_plans_twice_sends_once() -> None:
    slack = AlertFakeSlack()
    for user, (name, email) in TECHNICIANS.items():
        slack.add_user(user, name=name, email=email)
    await _cleanup()
    try:
        async with serve(slack.app()) as url:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("ST_", "SLACK_", "ALERT_", "DAY_"))
            }
            env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=url + "/api/", REDIS_URL=COMMAND_REDIS_URL,
                       PYTHONPATH=str(ROOT))  # fmt: skip
            command = [sys.executable, "-m", "bot", "send-day-plans", "--date", "2026-12-01"]
            runs = []
            for _ in range(2):
                runs.append(
                    await asyncio.to_thread(
                        subprocess.run,
                        command,
                        env=env,
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                        timeout=120,
                    )
                )
        first, second = runs
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert first.stdout.startswith("sent 3 day plan(s)"), first.stdout
        assert second.stdout.strip() == "sent 0 day plan(s)"
        for user in TECHNICIANS:
            (plan,) = slack.posts_to(dm_of(user))
            assert "Tuesday, December 1, 2026" in plan["text"]
        assert len(slack.of("chat.postMessage")) == 3
    finally:
        await _cleanup()
