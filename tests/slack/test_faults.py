"""Faults seen by a user (issue 13): ServiceTitan failing, Slack failing, Redis failing.

Every test drives the real app with signed requests (tests/slack/harness.py) against the ServiceTitan
simulator with its fault injection, the fake Slack told to fail, or a real Redis the test controls.
"""

from __future__ import annotations

import re

import httpx
import pytest

from bot.dialog.failures import scrub, user_words
from bot.servicetitan.errors import Conflict, RateLimited, Unavailable
from bot.simulator import FaultConfig
from tests.slack.harness import DANA, block_text, posted_card, world

INTERNAL = re.compile(r"https?://|/tenant/|tenant|127\.0\.0\.1|jpm/v2|Traceback|Error\(", re.IGNORECASE)


async def test_servicetitan_not_answering_is_told_in_the_users_words_with_a_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with world(http_simulator=True, timeout=30, max_retries=0) as w:
        await w.bot.dm(DANA, "help")  # who Dana is (ServiceTitan's staff list) is known before the fault
        await posted_card(w, 1)
        # Only the look-up under test gets a short time-out: a healthy turn on a busy machine may be slow.
        w.dialog.client._http.timeout = httpx.Timeout(0.2)
        w.sim.set_faults(FaultConfig(rate_timeout=1.0, timeout_seconds=1))
        await w.bot.dm(DANA, "show job 1003")
        answer = await posted_card(w, 2)
        shown = block_text(answer)
        assert "ServiceTitan did not answer while looking up job 1003" in shown
        reference = re.search(r"reference ([0-9a-f]{8})", shown)
        assert reference, shown
        assert not INTERNAL.search(shown), shown
        logged = [r.getMessage() for r in caplog.records if reference[1] in r.getMessage()]
        assert logged and "jpm/v2/tenant/" in logged[0]  # the details are in the log, under that reference


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (Unavailable("ServiceTitan did not answer GET http://127.0.0.1:1/jpm/v2/tenant/1234567/jobs/5 in time"),
         "ServiceTitan did not answer"),
        (Unavailable("could not connect to ServiceTitan: ConnectError('[Errno 111] refused')"),
         "ServiceTitan did not answer"),
        (Unavailable("Service Unavailable", status=503), "ServiceTitan had a problem (error 503)"),
        (RateLimited("Too many requests for tenant 1234567", status=429), "ServiceTitan is busy"),
        (Conflict("Job is canceled; see https://api.servicetitan.io/jpm/v2/tenant/1234567/jobs/5", status=409),
         "Job is canceled; see"),
    ],
)  # fmt: skip
def test_no_url_or_tenant_id_in_what_a_user_is_told(error: Exception, expected: str) -> None:
    assert isinstance(error, Unavailable | RateLimited | Conflict)
    words = user_words(error)
    assert words.startswith(expected)
    assert "1234567" not in words and "http" not in words and "Errno" not in words


def test_scrub_keeps_plain_words() -> None:
    assert scrub("Appointment is in the state that doesn't allow deletion") == (
        "Appointment is in the state that doesn't allow deletion"
    )
