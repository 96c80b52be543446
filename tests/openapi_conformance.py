"""OpenAPI conformance of every exchange with a simulator, checked with openapi-core.

ServiceTitan's documents (shared/servicetitan/openapi/*.yaml) declare `servers: .../{module}/v2` and paths
`/tenant/{tenant}/...`, while the simulator serves the full `/{module}/v2/tenant/{tenant}/...`. Requests
are therefore replayed to openapi-core against the documents' own server host, so the module prefix is
matched by the `servers` entry exactly as for the real API.

- Requests are validated against the operation's parameters, security (ST-App-Key) and body schema.
- Responses with a status the operation declares are validated against that response's schema.
- Undeclared statuses (401, 429, 5xx and the like, which ServiceTitan sends without documenting them) must
  still carry the documented problem body, `ApiErrorResponse`.
- Paths absent from the documents (`/connect/token`, `/marketing/...`, `/_admin/...`) are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from bot.simulator import Exchange

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "servicetitan" / "openapi"
SPEC_HOST = "https://api-integration.servicetitan.io"
MODULES = ("jpm", "dispatch", "settings", "crm")
UNDOCUMENTED_PREFIXES = ("/connect/", "/marketing/", "/_admin")


def spec_dir() -> Path:
    """The OpenAPI documents: beside the repo in shared/, or where ST_OPENAPI_DIR points."""
    import os

    override = os.environ.get("ST_OPENAPI_DIR")
    return Path(override) if override else SPEC_DIR


@cache
def load_specs() -> dict[str, OpenAPI]:
    """The four documents, loaded once per process (they are large)."""
    # tenant-crm-v2.yaml repeats an enum value, so strict document validation is off (README, first note).
    config = Config(spec_validator_cls=None)
    return {
        module: OpenAPI.from_file_path(str(spec_dir() / f"tenant-{module}-v2.yaml"), config=config)
        for module in MODULES
    }


@cache
def _problem_validator(module: str) -> OAS30Validator:
    spec = load_specs()[module].spec
    with (spec / "components" / "schemas" / "ApiErrorResponse").resolve() as resolved:
        schema = resolved.contents
    return OAS30Validator(schema)


@dataclass
class Violation:
    kind: str  # "request" or "response"
    method: str
    path: str
    status: int
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path} -> {self.status}: {self.detail}"


def _describe(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__ or exc.__context__
    seen = 0
    while cause is not None and seen < 3:
        errors = getattr(cause, "schema_errors", None)
        if errors:
            parts.extend(f"  - {e.message} at {list(e.absolute_path)}" for e in errors)
        else:
            parts.append(f"  caused by {type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return "\n".join(parts)


@dataclass
class ConformanceChecker:
    """An observer for `Simulator`: validates each exchange and records violations."""

    allow_nonconforming_requests: bool = False
    violations: list[Violation] = field(default_factory=list)
    checked: int = 0

    def __call__(self, exchange: Exchange) -> None:
        self.check(exchange)

    def check(self, exchange: Exchange) -> None:
        path = exchange.path
        if path.startswith(UNDOCUMENTED_PREFIXES):
            return
        module = path.split("/")[1] if path.count("/") > 1 else ""
        spec = load_specs().get(module)
        if spec is None:
            return
        self.checked += 1
        request = MockRequest(
            SPEC_HOST,
            exchange.method.lower(),
            path,
            args=dict(parse_qsl(exchange.query_string, keep_blank_values=True)),
            headers=dict(exchange.headers),
            data=exchange.body or None,
            content_type=exchange.headers.get("content-type", "application/json"),
        )
        operation_known = True
        try:
            spec.validate_request(request)
        except (PathNotFound, OperationNotFound) as exc:
            operation_known = False
            if not self.allow_nonconforming_requests:
                self._record("request", exchange, _describe(exc))
        except Exception as exc:  # openapi-core raises a family of validation errors
            if not self.allow_nonconforming_requests:
                self._record("request", exchange, _describe(exc))
        self._check_response(spec, module, request, exchange, operation_known)

    def _check_response(
        self, spec: OpenAPI, module: str, request: MockRequest, exchange: Exchange, operation_known: bool
    ) -> None:
        declared = self._declared_statuses(spec, request) if operation_known else set()
        if str(exchange.status) in declared:
            content_type = exchange.response_headers.get("content-type", "")
            response = MockResponse(
                exchange.response_body,
                status_code=exchange.status,
                headers=dict(exchange.response_headers),
                content_type=content_type.split(";")[0] if content_type else "",
            )
            try:
                spec.validate_response(request, response)
            except Exception as exc:
                self._record("response", exchange, _describe(exc))
            return
        if 200 <= exchange.status < 300:
            self._record("response", exchange, f"status {exchange.status} is not declared by the operation")
            return
        try:
            body: Any = json.loads(exchange.response_body)
        except ValueError:
            self._record("response", exchange, "error response without a JSON problem body")
            return
        errors = list(_problem_validator(module).iter_errors(body))
        if errors:
            self._record("response", exchange, "; ".join(e.message for e in errors))

    def _declared_statuses(self, spec: OpenAPI, request: MockRequest) -> set[str]:
        from openapi_core.templating.paths.finders import APICallPathFinder

        try:
            found = APICallPathFinder(spec.spec).find(request.method, f"{SPEC_HOST}{request.path}")
        except (PathNotFound, OperationNotFound):
            return set()
        responses = found.operation / "responses"
        with responses.resolve() as resolved:
            return {str(key) for key in resolved.contents}

    def _record(self, kind: str, exchange: Exchange, detail: str) -> None:
        self.violations.append(Violation(kind, exchange.method, exchange.path, exchange.status, detail))

    def report(self) -> str:
        return "\n".join(str(v) for v in self.violations)
