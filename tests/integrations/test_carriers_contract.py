"""The carrier clients and sandboxes against the carriers' published OpenAPI specs and
the real responses karrio recorded (``../shared/reference/api-specs``), not against
each other. Where a spec and a recorded real response disagree, the real response
wins, and the test says so."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from integrations.contracts import carriers as contract
from integrations.contracts.openapi import OpenApi
from integrations.contracts.specs import load_spec, load_yaml
from integrations.errors import APIStatusError, AuthFailed, IntegrationUnavailable, NotFound
from integrations.models import TrackingStatus as S

BY_NAME = {c.name: c for c in contract.CARRIERS}


def spec(spec_dir, carrier) -> OpenApi:
    return OpenApi(load_spec(spec_dir / BY_NAME[carrier].spec))


def recorded(spec_dir, carrier, name):
    return load_spec(spec_dir / carrier / "karrio_fixtures" / name)


def read(carrier, status, body):
    return asyncio.run(contract.parse(BY_NAME[carrier], status, body))


@pytest.mark.parametrize("carrier", sorted(BY_NAME))
def test_requests_sandbox_answers_recordings_and_examples_all_check_out(spec_dir, carrier):
    result = contract.check_carrier(spec_dir, BY_NAME[carrier])
    assert result.problems == []
    assert result.calls >= len(BY_NAME[carrier].fixtures) + 3


# --- USPS -------------------------------------------------------------------------


def test_usps_expected_delivery_date_exists_only_in_summary_answers(spec_dir):
    schemas = spec(spec_dir, "usps").spec["components"]["schemas"]
    assert "expectedDeliveryDate" in schemas["TrackingSummary"]["properties"]
    detail = schemas["TrackingDetails"]["properties"]
    assert "expectedDeliveryDate" not in detail
    assert detail["predictedDeliveryTimeStamp"]["deprecated"] is True
    assert detail["predictedDeliveryDate"]["format"] == "date"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"predictedDeliveryDate": "2026-12-03", "predictedDeliveryWindowEndTime": "17:00"},
         "2026-12-03T17:00:00"),
        ({"predictedDeliveryDate": "2026-12-03"}, "2026-12-03T00:00:00"),
        ({"expectedDeliveryTimeStamp": "2026-12-04T20:00:00Z",
          "predictedDeliveryDate": "2026-12-03"}, "2026-12-04T20:00:00+00:00"),
        ({"predictedDeliveryTimeStamp": "2026-12-05T12:00:00Z"}, "2026-12-05T12:00:00+00:00"),
        ({"predictedDeliveryTimeStamp": "2026-12-05T12:00:00Z",
          "predictedDeliveryDate": "2026-12-03"}, "2026-12-03T00:00:00"),
        ({"expectedDeliveryDate": "2026-12-06"}, None),  # not a DETAIL field: not read
    ],
    ids=["predicted+window", "predicted", "expected first", "deprecated alone",
         "not the deprecated one", "summary field in detail"],
)  # fmt: skip
def test_usps_detail_estimates(fields, expected):
    body = {"trackingNumber": "9400111899223456789017", "statusCategory": "In Transit",
            "status": "In Transit to Next Facility", "trackingEvents": [], **fields}  # fmt: skip
    tracking = read("usps", 200, body)
    assert tracking.status is S.IN_TRANSIT
    got = tracking.estimated_delivery
    assert (got.isoformat() if got else None) == expected


def test_usps_summary_answers_read_expected_delivery_date():
    body = {"trackingNumber": "9400111899223456789017", "expectedDeliveryDate": "2022-06-22",
            "eventSummaries": ["Out for Delivery, 06/17/2022, 6:10 am, FAIRFAX, VA 22032",
                               "Arrived at Post Office, 06/16/2022, 2:15 pm, FAIRFAX, VA 22031"]}  # fmt: skip
    tracking = read("usps", 200, body)
    assert tracking.status is S.OUT_FOR_DELIVERY
    assert tracking.estimated_delivery.isoformat() == "2022-06-22T00:00:00"
    assert len(tracking.events) == 2


def test_usps_recorded_real_answer_is_read_and_where_it_breaks_the_spec(spec_dir):
    tracking = read("usps", 200, recorded(spec_dir, "usps", "TrackingResponse.json"))
    assert tracking.status is S.DELIVERED
    assert tracking.delivered_at.isoformat() == "2024-11-22T18:58:40+00:00"
    assert tracking.service == "USPS Ground Advantage™"

    # Reality wins: USPS writes booleans as strings and sends nulls for missing text,
    # which its spec does not allow; the sandbox may do the same, and only that.
    allowed, notes = contract.reality(spec_dir, BY_NAME["usps"])
    assert ("emailEnabled", "type") in allowed
    assert ("trackingEvents.*.eventCountry", "type") in allowed
    assert ("mailType", "enum") in allowed
    assert any("emailEnabled" in n for n in notes)


def test_usps_readme_examples_are_read(spec_dir):
    examples = contract._readme_examples(spec_dir, BY_NAME["usps"])
    assert [e.name for e in examples] == [
        "Tracking - Single Request - Summary",
        "Tracking - Single Request - Detail",
    ]
    for example in examples:
        assert read("usps", 200, example.body).status is S.IN_TRANSIT  # "in possession"


# --- FedEx --------------------------------------------------------------------------


def test_fedex_data_next_to_an_error_object_is_read_not_refused(spec_dir):
    body = recorded(spec_dir, "fedex", "TrackingResponse.json")
    first = body["output"]["completeTrackResults"][0]["trackResults"][0]
    assert first["error"]["code"] == "TRACKING.TRACKINGNUMBER.EMPTY" and "scanEvents" in first

    tracking = read("fedex", 200, body)
    assert tracking.raw_status == "PU" and tracking.events[0].code == "PU"
    assert tracking.estimated_delivery.isoformat() == "2021-10-15T00:00:00-06:00"


def test_fedex_a_reused_number_reads_the_newest_shipment(spec_dir):
    tracking = read("fedex", 200, recorded(spec_dir, "fedex", "DuplicateTrackingResponse.json"))
    assert tracking.status is S.DELIVERED
    assert tracking.delivered_at.isoformat() == "2024-04-26T09:26:00-07:00"


def test_fedex_recorded_delivery_with_mixed_offsets(spec_dir):
    body = recorded(spec_dir, "fedex", "InconsistentDateTimeResponse.json")
    tracking = read("fedex", 200, body)
    assert tracking.status is S.DELIVERED and len(tracking.events) == 17
    assert tracking.events[0].status is S.DELIVERED


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, APIStatusError), (401, AuthFailed), (403, AuthFailed), (404, NotFound),
     (500, IntegrationUnavailable), (503, IntegrationUnavailable)],
)  # fmt: skip
def test_fedex_every_published_error_example_is_a_clear_error(spec_dir, status, error):
    (example,) = [e for e in spec(spec_dir, "fedex").response_examples(
        "POST", "/track/v1/trackingnumbers") if e.status == str(status)]  # fmt: skip
    assert type(read("fedex", status, example.body)) is error


def test_fedex_received_by_name_is_a_string_so_the_sandbox_never_sends_null(spec_dir):
    details = spec(spec_dir, "fedex").resolve({"$ref": "#/components/schemas/DeliveryDetails"})
    received = details["properties"]["receivedByName"]
    assert received["type"] == "string" and not received.get("nullable")


# --- UPS ------------------------------------------------------------------------------


def test_ups_spec_has_a_tab_that_strict_yaml_refuses_and_the_loader_reads(spec_dir):
    path = spec_dir / "ups" / "Tracking.yaml"
    assert "\t" in path.read_text(encoding="utf-8-sig").splitlines()[184]
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    assert "/track/v1/details/{inquiryNumber}" in load_yaml(path)["paths"]


@pytest.mark.parametrize(
    ("name", "status", "outcome"),
    [
        ("TrackingResponseJSON.json", 200, S.LABEL_CREATED),
        ("TrackingNumberNotFoundResponseJSON.json", 200, S.NOT_FOUND),  # spec: a 404
        ("InvalidTrackingNumberResponseJSON.json", 400, S.NOT_FOUND),
        ("AuthError.json", 401, AuthFailed),
    ],
)
def test_ups_every_recorded_answer_is_read(spec_dir, name, status, outcome):
    result = read("ups", status, recorded(spec_dir, "ups", name))
    if isinstance(outcome, S):
        assert result.status is outcome
    else:
        assert isinstance(result, outcome)


# --- DHL --------------------------------------------------------------------------------


def test_dhl_401_is_problem_json_and_proof_of_delivery_is_never_null(spec_dir):
    api = spec(spec_dir, "dhl")
    unauthorized = api.resolve({"$ref": "#/components/responses/unauthorizedError"})
    assert list(unauthorized["content"]) == ["application/problem+json"]
    proof = api.resolve(
        {"$ref": "#/components/schemas/supermodelIoLogisticsTrackingProofOfDelivery"}
    )
    assert all(not p.get("nullable") for p in proof["properties"].values())
    # and the sandbox's answers, including its 401, validate (see the check above)


def test_dhl_recorded_answers_are_read(spec_dir):
    tracking = read("dhl", 200, recorded(spec_dir, "dhl", "TrackingResponseJSON.json"))
    assert tracking.estimated_delivery is not None and tracking.status is S.LABEL_CREATED
    missing = read("dhl", 404, recorded(spec_dir, "dhl", "TrackingErrorResponseJSON.json"))
    assert missing.status is S.NOT_FOUND
    # Reality wins: the recorded shipment id is a number where the spec says string.
    allowed, _ = contract.reality(spec_dir, BY_NAME["dhl"])
    assert ("shipments.*.id", "type") in allowed
