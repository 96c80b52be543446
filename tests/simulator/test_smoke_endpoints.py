"""Every served operation answers with its documented shape (conformance is checked by tests/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.simulator.conftest import CRM, DISPATCH, JPM, MARKETING, SETTINGS

LIST_PATHS = [
    f"{JPM}/jobs",
    f"{JPM}/appointments",
    f"{JPM}/job-types",
    f"{JPM}/job-hold-reasons",
    f"{JPM}/job-cancel-reasons",
    f"{JPM}/projects",
    f"{JPM}/jobs/1001/notes",
    f"{JPM}/jobs/1006/canceled-log",
    f"{DISPATCH}/appointment-assignments",
    f"{DISPATCH}/arrival-windows",
    f"{SETTINGS}/technicians",
    f"{SETTINGS}/employees",
    f"{SETTINGS}/business-units",
    f"{CRM}/customers",
    f"{CRM}/locations",
    f"{MARKETING}/campaigns",
]

GET_PATHS = [
    f"{JPM}/jobs/1001",
    f"{JPM}/jobs/1001/history",
    f"{JPM}/appointments/5001",
    f"{JPM}/job-types/21",
    f"{JPM}/projects/801",
    f"{DISPATCH}/arrival-windows/91",
    f"{SETTINGS}/technicians/41",
    f"{SETTINGS}/employees/61",
    f"{SETTINGS}/business-units/11",
    f"{CRM}/customers/201",
    f"{CRM}/locations/301",
]

EXPORT_PATHS = [
    f"{JPM}/export/jobs",
    f"{JPM}/export/appointments",
    f"{JPM}/export/job-canceled-logs",
    f"{DISPATCH}/export/appointment-assignments",
]


@pytest.mark.parametrize("path", LIST_PATHS)
async def test_lists_use_the_paginated_envelope(st: httpx.AsyncClient, path: str) -> None:
    response = await st.get(path, params={"includeTotal": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"page", "pageSize", "hasMore", "totalCount", "data"}
    assert body["page"] == 1 and body["pageSize"] == 50
    assert body["totalCount"] >= len(body["data"]) >= 1


@pytest.mark.parametrize("path", GET_PATHS)
async def test_single_records_are_bare_objects(st: httpx.AsyncClient, path: str) -> None:
    response = await st.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" not in body or path.endswith("history")


@pytest.mark.parametrize("path", EXPORT_PATHS)
async def test_exports_use_the_export_envelope(st: httpx.AsyncClient, path: str) -> None:
    response = await st.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"hasMore", "continueFrom", "data"}
    assert body["data"] and all("active" in item for item in body["data"])
