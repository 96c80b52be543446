"""Running the bot: credential checks with clear messages, and `python -m bot serve` answering for real."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.slack.app import SlackSetupError, build_app
from bot.slack.retries import retry_handlers
from bot.slack.server import HEALTH_PATH, StartupError, check_credentials, run_bot, run_loop
from bot.store import MemoryStore
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack, free_socket, serve
from tests.slack.harness import SIGNING_SECRET, FakeDialog, make_settings

ROOT = Path(__file__).resolve().parents[2]


def test_http_mode_needs_the_bot_token_and_signing_secret() -> None:
    with pytest.raises(StartupError, match="SLACK_BOT_TOKEN.*SLACK_SIGNING_SECRET"):
        check_credentials(make_settings("http://x/", slack_bot_token=None, slack_signing_secret=None), "http")
    with pytest.raises(StartupError, match="starts with xoxb-"):
        check_credentials(make_settings("http://x/", slack_bot_token="xoxp-user-token"), "http")
    check_credentials(make_settings("http://x/"), "http")


def test_socket_mode_needs_an_app_level_token() -> None:
    settings = make_settings("http://x/", slack_signing_secret=None)
    with pytest.raises(StartupError, match="SLACK_APP_TOKEN"):
        check_credentials(settings, "socket")
    with pytest.raises(StartupError, match="starts with xapp-"):
        check_credentials(make_settings("http://x/", slack_app_token="xoxb-wrong"), "socket")
    check_credentials(make_settings("http://x/", slack_app_token="xapp-1-A-1-abc"), "socket")


def test_run_bot_refuses_to_start_without_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(make_settings("http://x/", slack_bot_token=None), mode="http") == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


async def test_python_m_bot_serve_answers_health_checks_and_slack_events() -> None:
    fake = FakeSlack()
    fake.add_user("U0DANA", name="Dana Reyes", email="dana@example.com")
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # the child binds it
    async with serve(fake.app()) as slack_url:
        fake.base_url = slack_url
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "ST_", "ROLE_", "REDIS_URL", "ALERT_"))
        }
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack_url + "/api/"
        )
        child = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        log_lines: list[str] = []
        reading = asyncio.create_task(read_lines(child.stderr, log_lines))
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(timeout=5) as http:
                deadline = time.monotonic() + 30
                while True:
                    assert child.returncode is None, f"the bot exited with {child.returncode}"
                    try:
                        health = await http.get(base + HEALTH_PATH)
                        break
                    except httpx.TransportError:
                        assert time.monotonic() < deadline, "the bot did not start listening"
                        await asyncio.sleep(0.05)
                assert health.json() == {"ok": True}

                body = (
                    '{"type":"event_callback","team_id":"T0TEST","event_id":"Ev0SERVE","event":{"type":"message",'
                    '"channel":"D0DANA","channel_type":"im","user":"U0DANA","text":"help","ts":"1.000001"}}'
                )
                ts = str(int(time.time()))
                signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
                headers = {"content-type": "application/json", "x-slack-request-timestamp": ts,
                           "x-slack-signature": signature}  # fmt: skip
                answer = await http.post(base + "/slack/events", content=body, headers=headers)
                assert answer.status_code == 200
                (post,) = await fake.wait_calls("chat.postMessage", 1, within=30)
                assert post.params["channel"] == "D0DANA" and post.params["text"]
            # served where --host said, and started without Bolt's complaints about its settings
            assert any(f"running on http://127.0.0.1:{port}" in line for line in log_lines), log_lines
            warnings = [line for line in log_lines if " WARNING " in line]
            assert all("embedded simulator" in line for line in warnings), warnings
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(child.wait(), 10)
                except TimeoutError:
                    child.kill()
                    await asyncio.wait_for(child.wait(), 10)
            await asyncio.wait_for(reading, 10)


async def read_lines(stream: asyncio.StreamReader | None, into: list[str]) -> None:
    """Collect a child's output lines as they come (so its pipe never fills up)."""
    assert stream is not None
    async for line in stream:
        into.append(line.decode(errors="replace").rstrip())


def test_the_token_is_given_once_so_bolt_warns_of_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As `python -m bot` runs: SLACK_BOT_TOKEN is in the environment, which Bolt also reads on its own.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    settings = make_settings("http://127.0.0.1:9/api/")
    with caplog.at_level(logging.DEBUG):
        app = build_app(settings, dialog=FakeDialog(), store=MemoryStore())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert app.client.token == BOT_TOKEN  # the settings' token, the one check_credentials looked at
    assert app.client.base_url == "http://127.0.0.1:9/api/"
    without_token = make_settings("http://127.0.0.1:9/api/", slack_bot_token=None)
    with pytest.raises(SlackSetupError, match="SLACK_BOT_TOKEN"):  # not Bolt's fallback to the environment
        build_app(without_token, dialog=FakeDialog(), store=MemoryStore())


def test_run_bot_serves_http_on_the_host_and_port_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[tuple[str, int]] = []

    async def serve(self: uvicorn.Server, sockets: object = None) -> None:
        served.append((self.config.host, self.config.port))

    monkeypatch.setattr(uvicorn.Server, "serve", serve)
    assert run_bot(make_settings("http://127.0.0.1:9/api/"), mode="http", host="127.0.0.1", port=3999) == 0
    assert served == [("127.0.0.1", 3999)]


def test_socket_mode_needs_no_signing_secret_but_http_mode_does() -> None:
    settings = make_settings("http://127.0.0.1:9/api/", slack_signing_secret=None, slack_app_token="xapp-1")
    app = build_app(settings, dialog=FakeDialog(), store=MemoryStore(), socket_mode=True)
    assert app.client.base_url == "http://127.0.0.1:9/api/"
    kinds = [type(handler) for handler in app.client.retry_handlers]
    assert kinds == [type(handler) for handler in retry_handlers()]  # ours, in place of slack_sdk's default
    with pytest.raises(SlackSetupError, match="SLACK_SIGNING_SECRET"):
        build_app(settings, dialog=FakeDialog(), store=MemoryStore())


def test_the_bot_runs_on_uvloop() -> None:
    """`bot serve` and Socket Mode run on uvloop's event loop (a dependency of the bot)."""
    import uvloop

    seen: list[object] = []

    async def main() -> None:
        seen.append(asyncio.get_running_loop())

    run_loop(main())
    assert len(seen) == 1 and isinstance(seen[0], uvloop.Loop)
