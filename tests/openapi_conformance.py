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

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import FormatChecker
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator

from bot.simulator import Exchange
from tests.shared_docs import OPENAPI_DIR

SPEC_DIR = OPENAPI_DIR
SPEC_HOST = "https://api-integration.servicetitan.io"
MODULES = ("jpm", "dispatch", "settings", "crm")
UNDOCUMENTED_PREFIXES = ("/connect/", "/marketing/", "/_admin")


def spec_dir() -> Path:
    """The OpenAPI documents: beside the repo in shared/, or where ST_OPENAPI_DIR points."""
    override = os.environ.get("ST_OPENAPI_DIR")
    return Path(override) if override else SPEC_DIR


class _SharedFormatChecker(SchemaValidatorsFactory):
    """openapi-core deep-copies its format checker for every schema it validates (~10 ms a request here);
    the checker is never changed while validating, so one copy serves all."""

    _shared: FormatChecker | None = None

    def get_format_checker(
        self,
        format_validators: Any = None,
        extra_format_validators: Any = None,
    ) -> FormatChecker:
        if format_validators is not None or extra_format_validators is not None:
            return super().get_format_checker(format_validators, extra_format_validators)
        if self._shared is None:
            self._shared = super().get_format_checker()
        return self._shared


@dataclass(frozen=True)
class ModuleSpec:
    """One OpenAPI document, with an openapi-core app for requests and one for responses."""

    requests: OpenAPI
    responses: OpenAPI

    @property
    def spec(self) -> SchemaPath:
        return self.requests.spec


@cache
def load_specs() -> dict[str, ModuleSpec]:
    """The four documents, loaded once per process (they are large)."""
    folder = spec_dir()
    if not (folder / "tenant-jpm-v2.yaml").is_file():
        raise FileNotFoundError(
            f"ServiceTitan's OpenAPI documents are not in {folder}; set ST_OPENAPI_DIR to their folder"
        )
    # tenant-crm-v2.yaml repeats an enum value, so strict document validation is off (README, first note).
    request_config = Config(
        spec_validator_cls=None, schema_validators_factory=_SharedFormatChecker(OAS30WriteValidator)
    )
    response_config = Config(
        spec_validator_cls=None, schema_validators_factory=_SharedFormatChecker(OAS30ReadValidator)
    )
    specs: dict[str, ModuleSpec] = {}
    for module in MODULES:
        document = SchemaPath.from_file_path(str(folder / f"tenant-{module}-v2.yaml"))
        specs[module] = ModuleSpec(
            OpenAPI(document, config=request_config), OpenAPI(document, config=response_config)
        )
    return specs


@cache
def _problem_validator(module: str) -> OAS30Validator:
    spec = load_specs()[module].spec
    with (spec / "components" / "schemas" / "ApiErrorResponse").resolve() as resolved:
        schema = resolved.contents
    return OAS30Validator(schema)


# Items of list and export envelopes already validated, per operation and status. The demo data repeats
# across tests, and validating one job costs milliseconds, so each distinct item is validated once.
_SEEN_ITEMS: dict[tuple[str, str, str, int], set[str]] = {}
_SEEN_BODIES: dict[tuple[str, str, str, int], set[str]] = {}
_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def _without_seen_items(module: str, exchange: Exchange) -> bytes:
    """The response body with envelope items validated earlier left out (the envelope is still checked)."""
    try:
        body = json.loads(exchange.response_body)
    except ValueError:
        return exchange.response_body
    if not (isinstance(body, dict) and isinstance(body.get("data"), list)):
        return exchange.response_body
    key = (module, exchange.method, _ID_SEGMENT.sub("/{n}", exchange.path), exchange.status)
    seen = _SEEN_ITEMS.setdefault(key, set())
    fresh: list[Any] = []
    for item in body["data"]:
        text = json.dumps(item, sort_keys=True)
        if text not in seen:
            fresh.append(item)
            seen.add(text)
    if len(fresh) == len(body["data"]):
        return exchange.response_body
    return json.dumps({**body, "data": fresh}).encode()


@cache
def _declared_statuses(spec: ModuleSpec, method: str, path: str) -> frozenset[str]:
    """The response statuses the operation declares (cached per operation; path ids normalised)."""
    try:
        found = APICallPathFinder(spec.spec).find(method, f"{SPEC_HOST}{path.replace('{n}', '1')}")
    except (PathNotFound, OperationNotFound):
        return frozenset()
    return frozenset(str(key) for key in (found.operation / "responses").str_keys())


# Verdicts on requests already validated: the same request (method, path, query, body, app key) always
# gets the same verdict, and openapi-core takes tens of milliseconds on operations with many parameters.
_REQUEST_VERDICTS: dict[tuple[str, ...], tuple[bool, str | None]] = {}


def _request_verdict(spec: ModuleSpec, request: MockRequest, exchange: Exchange) -> tuple[bool, str | None]:
    """(operation found, problem or None) for the request, validated with openapi-core."""
    key = (
        exchange.method,
        exchange.path,
        exchange.query_string,
        hashlib.sha1(exchange.body).hexdigest(),
        exchange.headers.get("content-type", ""),
        str("st-app-key" in exchange.headers),
    )
    verdict = _REQUEST_VERDICTS.get(key)
    if verdict is None:
        try:
            spec.requests.validate_request(request)
            verdict = (True, None)
        except (PathNotFound, OperationNotFound) as exc:
            verdict = (False, _describe(exc))
        except Exception as exc:  # openapi-core raises a family of validation errors
            verdict = (True, _describe(exc))
        _REQUEST_VERDICTS[key] = verdict
    return verdict


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
        operation_known, problem = _request_verdict(spec, request, exchange)
        if problem is not None and not self.allow_nonconforming_requests:
            self._record("request", exchange, problem)
        self._check_response(spec, module, request, exchange, operation_known)

    def _check_response(
        self, spec: ModuleSpec, module: str, request: MockRequest, exchange: Exchange, operation_known: bool
    ) -> None:
        declared = self._declared_statuses(spec, request) if operation_known else set()
        if str(exchange.status) in declared:
            fingerprint = (module, exchange.method, _ID_SEGMENT.sub("/{n}", exchange.path), exchange.status)
            digest = hashlib.sha1(exchange.response_body).hexdigest()
            if digest in _SEEN_BODIES.setdefault(fingerprint, set()):
                return  # the very same answer of this operation was validated before
            _SEEN_BODIES[fingerprint].add(digest)
            content_type = exchange.response_headers.get("content-type", "")
            response = MockResponse(
                _without_seen_items(module, exchange),
                status_code=exchange.status,
                headers=dict(exchange.response_headers),
                content_type=content_type.split(";")[0] if content_type else "",
            )
            try:
                spec.responses.validate_response(request, response)
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

    def _declared_statuses(self, spec: ModuleSpec, request: MockRequest) -> frozenset[str]:
        return _declared_statuses(spec, request.method, _ID_SEGMENT.sub("/{n}", request.path))

    def _record(self, kind: str, exchange: Exchange, detail: str) -> None:
        self.violations.append(Violation(kind, exchange.method, exchange.path, exchange.status, detail))

    def report(self) -> str:
        return "\n".join(str(v) for v in self.violations)
