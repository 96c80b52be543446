"""The demo's and the simulator-served bot's client keeps under the simulator's 60 requests/s, as the bot
keeps under ServiceTitan's: a burst of reads is spread out, not answered 429."""

from __future__ import annotations

import asyncio

from bot.servicetitan.embedded import embedded_client
from bot.servicetitan.errors import RateLimited

BURST = 90  # more than the simulator's 60 requests in one second


async def _burst(*, rate_limited: bool) -> list[BaseException | object]:
    client, _simulator = embedded_client(client_kwargs={"max_retries": 0}, rate_limited=rate_limited)
    try:
        return await asyncio.gather(*(client.get_job(1001) for _ in range(BURST)), return_exceptions=True)
    finally:
        await client.aclose()


async def test_a_burst_over_the_simulators_limit_is_answered_429_without_the_limiter() -> None:
    answers = await _burst(rate_limited=False)
    assert any(isinstance(answer, RateLimited) for answer in answers)


async def test_the_rate_limited_embedded_client_spreads_a_burst_and_gets_every_answer() -> None:
    answers = await _burst(rate_limited=True)
    failures = [answer for answer in answers if isinstance(answer, BaseException)]
    assert failures == []
    assert len(answers) == BURST
