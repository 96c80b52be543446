"""The OpenAPI conformance observer itself: it must catch bad requests and bad responses."""

from __future__ import annotations

import json

from bot.simulator import Exchange
from tests.openapi_conformance import ConformanceChecker
from tests.simulator.conftest import JPM

HEADERS = {"st-app-key": "key", "content-type": "application/json"}
JSON = {"content-type": "application/json"}


def exchange(
    method: str, path: str, status: int, body: object, *, request_body: bytes = b"", query: str = ""
) -> Exchange:
    return Exchange(
        method=method,
        path=path,
        query_string=query,
        headers=HEADERS,
        body=request_body,
        status=status,
        response_headers=JSON,
        response_body=json.dumps(body).encode(),
    )


def problem(status: int) -> dict[str, object]:
    return {"type": "about:blank", "title": "x", "status": status, "traceId": "t", "errors": {}, "data": {}}


def test_good_and_bad_responses() -> None:
    checker = ConformanceChecker()
    checker.check(
        exchange(
            "GET", f"{JPM}/job-hold-reasons", 200, {"page": 1, "pageSize": 50, "hasMore": False, "data": []}
        )
    )
    assert checker.violations == []
    checker.check(exchange("GET", f"{JPM}/job-hold-reasons", 200, {"page": 1, "data": [{"id": "one"}]}))
    assert len(checker.violations) == 1 and checker.violations[0].kind == "response"


def test_extra_fields_are_refused() -> None:
    checker = ConformanceChecker()
    reason = {
        "id": 1,
        "name": "n",
        "active": True,
        "createdOn": "2026-11-24T15:00:00Z",
        "modifiedOn": "2026-11-24T15:00:00Z",
    }
    body = {"page": 1, "pageSize": 50, "hasMore": False, "data": [{**reason, "secret": 1}]}
    checker.check(exchange("GET", f"{JPM}/job-hold-reasons", 200, body))
    assert len(checker.violations) == 1


def test_bad_requests_are_caught_unless_allowed() -> None:
    bad_body = exchange("POST", f"{JPM}/jobs/1/notes", 400, problem(400), request_body=b'{"txt": "typo"}')
    wrong_verb = exchange("DELETE", f"{JPM}/jobs/1", 405, problem(405))
    strict = ConformanceChecker()
    strict.check(bad_body)
    strict.check(wrong_verb)
    assert [v.kind for v in strict.violations] == ["request", "request"]
    lenient = ConformanceChecker(allow_nonconforming_requests=True)
    lenient.check(bad_body)
    lenient.check(wrong_verb)
    assert lenient.violations == []


def test_undeclared_statuses_need_a_problem_body() -> None:
    checker = ConformanceChecker()
    checker.check(exchange("GET", f"{JPM}/jobs/1", 429, problem(429)))
    assert checker.violations == []
    checker.check(exchange("GET", f"{JPM}/jobs/1", 503, {"message": "down"}))
    assert len(checker.violations) == 1


def test_undocumented_paths_are_skipped() -> None:
    checker = ConformanceChecker()
    checker.check(exchange("POST", "/connect/token", 200, {"access_token": "x"}))
    checker.check(exchange("GET", "/marketing/v2/tenant/1/campaigns", 200, {"anything": True}))
    assert checker.violations == [] and checker.checked == 0


def test_complete_and_confirmation_are_checked_operations() -> None:
    checker = ConformanceChecker()
    good = exchange(
        "PUT", f"{JPM}/jobs/1/complete", 200, "", request_body=b'{"completedOn": "2026-11-24T15:00:00Z"}'
    )
    extra = exchange(
        "PUT", f"{JPM}/jobs/1/complete", 400, problem(400), request_body=b'{"completedOn": "x", "by": 1}'
    )
    confirm = exchange("PUT", f"{JPM}/appointments/1/confirmation", 200, "")
    wrong_verb = exchange("POST", f"{JPM}/appointments/1/confirmation", 200, "")
    for each in (good, extra, confirm, wrong_verb):
        checker.check(each)
    assert checker.checked == 4
    assert [(v.kind, v.method) for v in checker.violations] == [
        ("request", "PUT"),
        ("request", "POST"),
        ("response", "POST"),
    ]
