"""Fixtures of the Slack tests: the Redis URL (the real server; a test fails, not skips, without it)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
