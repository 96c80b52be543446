"""`python -m bot send-day-plans` as an operator or cron runs it: twice on one day sends once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.alerts.conftest import TECHNICIANS, AlertFakeSlack, dm_of
from tests.slack.fake_slack import BOT_TOKEN, serve
from tests.store.own_redis import own_redis

ROOT = Path(__file__).parents[2]


async def test_send_day_plans_twice_sends_once() -> None:
    slack = AlertFakeSlack()
    for user, (name, email) in TECHNICIANS.items():
        slack.add_user(user, name=name, email=email)
    # The command writes with the production key prefix, so it gets a redis-server of its own: on the shared
    # one, another checkout running this test at the same time (there were 15 databases to pick from at
    # random, and each run cleaned its database first) could take or remove this run's day-plan claims
    # between its two commands, and the second would send again or the first send nothing.
    with own_redis() as redis:
        async with serve(slack.app()) as url:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("ST_", "SLACK_", "ALERT_", "DAY_"))
            }
            env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=url + "/api/", REDIS_URL=redis.url,
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
