"""Carriers: for USPS, FedEx, UPS and DHL, check the tracking request the client sends
against the carrier's published OpenAPI spec, the sandbox's answers against the
response schemas, and that the client reads every recorded real response (karrio's
fixtures) and every example the spec publishes.

A recorded real response sometimes breaks its own spec (USPS sends booleans as
strings and nulls for missing text). Reality wins: each way a recorded response
departs from the spec is listed as a note, and the sandbox may depart from the spec
in exactly those ways and no other.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from integrations.carriers import Carrier
from integrations.carriers.dhl import DhlClient
from integrations.carriers.fedex import FedexClient
from integrations.carriers.ups import UpsClient
from integrations.carriers.usps import UspsClient
from integrations.contracts.openapi import Example, OpenApi, Violation, deviations
from integrations.contracts.recording import Exchange, Recorder, quiet_options
from integrations.contracts.report import Result
from integrations.contracts.specs import load_spec
from integrations.errors import BadResponse, IntegrationError
from integrations.models import Tracking
from integrations.sandbox import demo
from integrations.sandbox.base import Simulator, transport
from integrations.sandbox.dhl import DhlSimulator
from integrations.sandbox.fedex import FedexSimulator
from integrations.sandbox.ups import UpsSimulator
from integrations.sandbox.usps import UspsSimulator

__all__ = ["CARRIERS", "CarrierContract", "check", "check_carrier", "parse", "reality"]


@dataclass(frozen=True)
class CarrierContract:
    """What is checked for one carrier, and where its spec and recordings are."""

    name: str
    api: str
    spec: str
    method: str
    template: str
    fixtures: dict[str, int]  # karrio fixture -> the HTTP status it answers with
    simulator: Callable[[], Simulator]
    client: Callable[[httpx.AsyncClient, str], Carrier]
    unknown: str  # a well-formed number the carrier does not know
    token_spec: str | None = None  # the OAuth spec, where the carrier publishes one
    undeclared: dict[int, str] = field(default_factory=dict)  # status -> components ref
    readme_examples: str | None = None  # a vendor README with JSON examples


def _oauth(cls: type) -> Callable[[httpx.AsyncClient, str], Carrier]:
    def make(http: httpx.AsyncClient, secret: str) -> Carrier:
        return cls(  # type: ignore[no-any-return]
            http, base_url="http://carrier.test", client_id="shop", client_secret=secret,
            **quiet_options(),
        )  # fmt: skip

    return make


def _dhl(http: httpx.AsyncClient, secret: str) -> Carrier:
    return DhlClient(http, base_url="http://carrier.test", api_key=secret, **quiet_options())


CARRIERS = (
    CarrierContract(
        "usps", "USPS Tracking", "usps/karrio_usps_tracking.yaml", "GET",
        "/tracking/{trackingNumber}",
        {"TrackingResponse.json": 200, "ErrorResponse.json": 400},
        UspsSimulator, _oauth(UspsClient), demo.USPS_AVA_UNKNOWN,
        readme_examples="usps/USPS_api-examples_README.md",
    ),
    CarrierContract(
        "fedex", "FedEx Track", "fedex/karrio_fedex_track.json", "POST",
        "/track/v1/trackingnumbers",
        {"TrackingResponse.json": 200, "DuplicateTrackingResponse.json": 200,
         "InconsistentDateTimeResponse.json": 200, "ErrorResponse.json": 400},
        FedexSimulator, _oauth(FedexClient), "799531274483",
    ),
    CarrierContract(
        "ups", "UPS Track", "ups/Tracking.yaml", "GET", "/track/v1/details/{inquiryNumber}",
        {"TrackingResponseJSON.json": 200, "TrackingNumberNotFoundResponseJSON.json": 200,
         "InvalidTrackingNumberResponseJSON.json": 400, "AuthError.json": 401},
        UpsSimulator, _oauth(UpsClient), "1Z5R89390357567127",
        token_spec="ups/OAuthClientCredentials.yaml",
    ),
    CarrierContract(
        "dhl", "DHL Shipment Tracking - Unified", "dhl/dhl_tracking_unified_1.3.1.openapi.json",
        "GET", "/shipments",
        {"TrackingResponseJSON.json": 200, "TrackingErrorResponseJSON.json": 404},
        DhlSimulator, _dhl, "8487135506",
        undeclared={401: "#/components/responses/unauthorizedError"},
    ),
)  # fmt: skip


def _content_type(status: int, contract: CarrierContract) -> str:
    return (
        "application/problem+json"
        if contract.name == "dhl" and status >= 400
        else "application/json"
    )


def _response_violations(
    api: OpenApi, contract: CarrierContract, method: str, path: str, status: int,
    content_type: str | None, body: Any,
) -> list[Violation]:  # fmt: skip
    if status in contract.undeclared:  # declared in components, not on the operation
        declared = api.resolve({"$ref": contract.undeclared[status]})
        content = declared.get("content") or {}
        kind = (content_type or "").split(";")[0].strip()
        if kind not in content:
            return [Violation("", "content-type", f"{kind} is not declared ({', '.join(content)})")]
        return api.validate(body, content[kind]["schema"])
    return api.check_response(method, path, status, content_type, body)


def reality(spec_dir: Path, contract: CarrierContract) -> tuple[set[tuple[str, str]], list[str]]:
    """How the recorded real responses depart from the spec: (deviations, notes)."""
    api = OpenApi(load_spec(spec_dir / contract.spec))
    allowed: set[tuple[str, str]] = set()
    notes: list[str] = []
    path = api.prefix + contract.template
    for name, status in contract.fixtures.items():
        body = load_spec(spec_dir / contract.name / "karrio_fixtures" / name)
        found = _response_violations(
            api, contract, contract.method, path, status, _content_type(status, contract), body
        )
        allowed |= deviations(found)
        notes += [f"recorded {name} ({status}) departs from the spec at {v}" for v in found]
    return allowed, notes


async def _drive(contract: CarrierContract) -> list[Exchange]:
    """Track every demo number, an unknown one, and once with wrong credentials."""
    recorder = Recorder(contract.simulator())
    numbers = [*demo.build_demo_shop().shipments_for(contract.name), contract.unknown]
    async with httpx.AsyncClient(transport=transport(recorder)) as http:
        client = contract.client(http, "demo")
        for number in numbers:
            await client.track(number)
        try:
            await contract.client(http, "wrong").track(numbers[0])
        except IntegrationError:
            pass
    return list(recorder.exchanges)


async def parse(contract: CarrierContract, status: int, body: Any) -> Tracking | IntegrationError:
    """What the client makes of ``body`` answered with ``status`` to a track call."""
    sim = contract.simulator()

    class Answer:
        faults = sim.faults

        async def handle(self, request: httpx.Request) -> httpx.Response:
            if "token" in request.url.path:
                return await sim.handle(request)
            headers = {"content-type": _content_type(status, contract)}
            return httpx.Response(status, headers=headers, content=json.dumps(body).encode())

    async with httpx.AsyncClient(transport=transport(Answer())) as http:
        try:
            return await contract.client(http, "demo").track(contract.unknown)
        except IntegrationError as exc:
            return exc


def _readme_examples(spec_dir: Path, contract: CarrierContract) -> list[Example]:
    """The JSON blocks after a README's tracking examples (USPS's api-examples)."""
    if contract.readme_examples is None:
        return []
    text = (spec_dir / contract.readme_examples).read_text(encoding="utf-8-sig")
    found = []
    for title, block in re.findall(r"### (Tracking[^\n]*)\n.*?```json\n(.*?)```", text, re.S):
        found.append(Example("GET", contract.template, "200", title.strip(), json.loads(block)))
    return found


def check_carrier(spec_dir: Path, contract: CarrierContract) -> Result:
    api = OpenApi(load_spec(spec_dir / contract.spec))
    result = Result(contract.api, str(api.spec["info"].get("version") or "-"))
    allowed, result.notes = reality(spec_dir, contract)
    token_api = OpenApi(load_spec(spec_dir / contract.token_spec)) if contract.token_spec else None

    for exchange in asyncio.run(_drive(contract)):
        request, response = exchange.request, exchange.response
        where = f"{request.method} {request.url.path} -> {response.status_code}"
        checked = token_api if "token" in exchange.path else api
        if checked is None:
            result.notes.append(f"{request.method} {exchange.path}: no published OAuth spec")
            continue
        result.calls += 1
        body = (
            json.loads(request.content)
            if request.headers.get("content-type", "").endswith("json")
            else None
        )
        result.problems += [f"{where}: request: {p}" for p in checked.check_request(request, body)]
        answer = json.loads(response.content) if response.content else None
        found = _response_violations(
            checked, contract, request.method, request.url.path, response.status_code,
            response.headers.get("content-type"), answer,
        )  # fmt: skip
        result.problems += [
            f"{where}: sandbox answer: {v}" for v in found if (v.where, v.rule) not in allowed
        ]

    recorded = [(n, s, load_spec(spec_dir / contract.name / "karrio_fixtures" / n))
                for n, s in contract.fixtures.items()]  # fmt: skip
    examples = [*api.response_examples(contract.method, contract.template),
                *_readme_examples(spec_dir, contract)]  # fmt: skip
    recorded += [(f"spec example {e.name}", int(e.status), e.body) for e in examples]
    for name, status, body in recorded:
        result.calls += 1
        outcome = asyncio.run(parse(contract, status, body))
        if isinstance(outcome, BadResponse):
            result.problems.append(f"the client cannot read {name}: {outcome}")
    result.notes = list(dict.fromkeys(result.notes))
    return result


def check(spec_dir: Path) -> list[Result]:
    return [check_carrier(spec_dir, contract) for contract in CARRIERS]
