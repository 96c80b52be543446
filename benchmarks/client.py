"""Benchmark: the ServiceTitan client's per-call overhead against the in-process simulator.

Each row times the same endpoint two ways in one run: through ``ServiceTitanClient`` (auth flow, retry
wrapper, pydantic models) and as a bare ``httpx`` GET with a ready token that only decodes the JSON. The
overhead column is the difference of the medians; the two are timed alternately so that load elsewhere on
the machine hits both alike. Usage: ``python -m benchmarks client [--iterations N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from bot.servicetitan.embedded import SIM_API_BASE, embedded_client

Call = Callable[[], Awaitable[object]]


async def _paired_timings(
    first: Call, second: Call, iterations: int, warmup: int
) -> tuple[list[float], list[float]]:
    """Time both calls alternately, so that load from elsewhere on the machine hits both sides alike."""
    for _ in range(warmup):
        await first()
        await second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(iterations):
        for call, into in ((first, samples[0]), (second, samples[1])):
            started = time.perf_counter()
            await call()
            into.append((time.perf_counter() - started) * 1e6)
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(iterations: int, warmup: int) -> list[tuple[str, float, float, float, float]]:
    client, simulator = embedded_client(now=datetime.now(UTC), rate_limit_per_second=10**9)
    async with client:
        token = (await client.auth.token()).value
        from bot.simulator import SIM_CREDENTIALS

        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": SIM_CREDENTIALS.app_key}
        tenant = SIM_CREDENTIALS.tenant_id
        job_id = next(iter(simulator.state.jobs))
        bare = httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), headers=headers)
        jobs_url = f"{SIM_API_BASE}/jpm/v2/tenant/{tenant}/jobs"

        async def client_get_job() -> object:
            return await client.get_job(job_id)

        async def bare_get_job() -> object:
            response = await bare.get(f"{jobs_url}/{job_id}")
            response.raise_for_status()
            return response.json()

        async def client_list_all() -> object:
            return [job async for job in client.iter_jobs(page_size=50)]

        async def bare_list_all() -> object:
            items: list[object] = []
            page = 1
            while True:
                response = await bare.get(jobs_url, params={"page": str(page), "pageSize": "50"})
                response.raise_for_status()
                body = response.json()
                items.extend(body["data"])
                if not body["hasMore"]:
                    return items
                page += 1

        rows = []
        async with bare:
            for label, through_client, direct in [
                ("get_job", client_get_job, bare_get_job),
                ("iter_jobs (all, 50/page)", client_list_all, bare_list_all),
            ]:
                ours, theirs = await _paired_timings(through_client, direct, iterations, warmup)
                rows.append((label, _p(ours, 0.5), _p(ours, 0.99), _p(theirs, 0.5), _p(theirs, 0.99)))
        return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks client", description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.iterations, args.warmup))
    print(f"ServiceTitan client vs bare httpx, in-process simulator, {args.iterations} calls each (µs)")
    header = f"{'call':<26} {'client p50':>11} {'client p99':>11} {'httpx p50':>10} {'httpx p99':>10} {'overhead p50':>13}"
    print(header)
    print("-" * len(header))
    for label, ours50, ours99, bare50, bare99 in rows:
        print(
            f"{label:<26} {ours50:>11.0f} {ours99:>11.0f} {bare50:>10.0f} {bare99:>10.0f} {ours50 - bare50:>+13.0f}"
        )
    return 0
