"""manifest.yml: valid against Slack's manifest schema, and in step with what the app registers and calls."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema
import pytest
import yaml

from bot.dialog.messages import Reply
from bot.simulator.demo_data import build_demo_seed
from bot.slack.blocks import ACTION_CONFIRM, render
from bot.slack.deps import COMMAND
from bot.slack.listeners import BOT_EVENTS, BOT_SCOPES
from bot.store import MemoryStore
from tests.shared_docs import SLACK_MANIFEST_SCHEMA
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import DANA, FakeDialog, running_bot

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = SLACK_MANIFEST_SCHEMA

# Scope each Web API method of the app needs (None: no scope); from shared/slack/README.md section 5.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "users.info": "users:read",
    "views.publish": None,
    "usergroups.users.list": "usergroups:read",
    "conversations.open": "im:write",  # bot/alerts: DMs of alerts and day plans
    "users.lookupByEmail": "users:read.email",  # bot/alerts: technicians linked to Slack users
    "conversations.history": "channels:history",  # bot/alerts: finding a post made before a crash
}
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history", "app_home_opened": None}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=str)
    assert not errors, [e.message for e in errors]


def test_a_misspelled_key_would_be_caught(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = {**manifest, "settings": {**manifest["settings"], "interactivity": {"enabled": True}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_manifest_declares_what_the_app_uses(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    home = manifest["features"]["app_home"]
    assert (
        home["home_tab_enabled"]
        and home["messages_tab_enabled"]
        and not home["messages_tab_read_only_enabled"]
    )
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == set(BOT_SCOPES)
    needed = {s for s in [*METHOD_SCOPES.values(), *EVENT_SCOPES.values()] if s} | {
        "commands",
        "users:read.email",
        "groups:history",  # conversations.history in a private channel (im:history covers DMs)
    }
    assert needed == scopes  # every scope is needed, and no more


def _event(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": event_type, "user": DANA, "ts": f"{time.time():.6f}", **fields}


async def test_the_app_handles_exactly_the_manifests_events_command_and_actions(
    manifest: dict[str, Any],
) -> None:
    fake = FakeSlack()
    fake.add_user(DANA, name="Dana Reyes", email=None)
    dialog = FakeDialog(lambda k, a, e: [Reply(text="ok", token="t1")])
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        samples = {
            "app_home_opened": _event("app_home_opened", channel="D0DANA", tab="home"),
            "app_mention": _event("app_mention", channel="C0GENERAL", text="<@U0BOT> help"),
            "message.im": _event("message", channel="D0DANA", channel_type="im", text="help"),
        }
        for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
            assert (await bot.event(samples[name])).status_code == 200, name
        unsubscribed = await bot.event(_event("reaction_added", reaction="tada", item={}))
        assert unsubscribed.status_code == 404  # Bolt's "unhandled request": the app has no such listener

        assert (await bot.command(DANA, "help")).status_code == 200
        form = {
            "command": "/other",
            "text": "",
            "user_id": DANA,
            "channel_id": "C0GENERAL",
            "team_id": "T0TEST",
        }
        assert (await bot.send(urlencode(form), "application/x-www-form-urlencoded")).status_code == 404

        card = {"channel": "D0DANA", "ts": "1.2", **render(Reply(text="Apply?", buttons=[], token="t1"))}
        card["blocks"].append(
            {"type": "actions", "block_id": "b", "elements": [
                {"type": "button", "action_id": ACTION_CONFIRM, "text": {"type": "plain_text", "text": "Go"}, "value": "t1|"},
                {"type": "button", "action_id": "someone_elses", "text": {"type": "plain_text", "text": "No"}, "value": "x"},
            ]}
        )  # fmt: skip
        assert (await bot.click(DANA, card, ACTION_CONFIRM)).status_code == 200
        assert (await bot.click(DANA, card, "someone_elses")).status_code == 404

        await fake.wait_for(lambda: len(dialog.turns) == 4, what="four turns")  # mention, DM, /st, click
        await fake.wait_calls("views.publish", 1)
        called = {c.method for c in fake.calls}
        assert called <= set(METHOD_SCOPES), called - set(METHOD_SCOPES)


def test_example_jobs_in_the_manifest_are_open_jobs_of_the_demo_data(manifest: dict[str, Any]) -> None:
    """Someone trying the examples on the simulator gets a job that can be rescheduled, held or shown, not
    one that is completed, canceled or missing. The demo data moves with the clock: check a week of it."""
    command = next(c for c in manifest["features"]["slash_commands"] if c["command"] == COMMAND)
    texts = [*manifest["display_information"].values(), command["description"], command["usage_hint"]]
    job_ids = {int(m) for text in texts for m in re.findall(r"\bjobs? #?(\d+)", str(text), re.IGNORECASE)}
    assert job_ids, "the examples name jobs"
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    for hours in range(0, 7 * 24, 5):
        now = start + timedelta(hours=hours)
        status = {job["id"]: job["jobStatus"] for job in build_demo_seed(now)["jobs"]}
        assert {job: status.get(job) for job in job_ids} == dict.fromkeys(job_ids, "Scheduled"), now
