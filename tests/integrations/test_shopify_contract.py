"""The Shopify client and sandbox against the Admin schemas Shopify published
(``../shared/reference/api-specs/shopify``), not against each other."""

from __future__ import annotations

import json

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
)

from integrations.contracts import shopify as contract
from integrations.contracts.graphql_check import check_request
from integrations.contracts.prune import pruned_sdl, vendored_path
from integrations.contracts.specs import shopify_schema
from integrations.sandbox.base import transport
from integrations.sandbox.shopify import ShopifySimulator
from integrations.shopify_queries import documents
from integrations.shopify_versions import (
    DEFAULT_VERSION,
    NEWEST,
    OLDEST,
    REASON_HANDLES,
    RETURN_REASONS,
    SUPPORTED_VERSIONS,
)

pytestmark = pytest.mark.usefixtures("spec_dir")

RETURN_LINE = {"fulfillmentLineItemId": "gid://shopify/FulfillmentLineItem/1", "quantity": 1}


def published(spec_dir, version):
    return shopify_schema(spec_dir, version)


# --- the client ----------------------------------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_request_the_client_sends_is_valid_in_the_published_schema(spec_dir, version):
    result = contract.check_version(spec_dir, version)
    assert result.problems == []
    assert result.calls >= len(documents(version).all())


def test_the_default_is_the_newest_version_with_a_published_schema(spec_dir):
    assert (OLDEST, NEWEST, DEFAULT_VERSION) == ("2025-04", "2026-04", "2026-04")
    for version in SUPPORTED_VERSIONS:
        assert published(spec_dir, version) is not None


# --- the findings, in the published schemas --------------------------------

LEGACY_CANCEL_AS_IT_WAS = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
                     $notify: Boolean, $refund: Boolean, $note: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
              notifyCustomer: $notify, refund: $refund, staffNote: $note) {
    job { id done } orderCancelUserErrors { field message code }
  }
}
"""


@pytest.mark.parametrize("version", ["2024-10", "2025-01", "2025-04"])
def test_before_2025_07_refund_is_a_non_null_boolean(spec_dir, version):
    variables = {"orderId": "gid://shopify/Order/1", "reason": "CUSTOMER", "restock": True,
                 "refund": True}  # fmt: skip
    problems = check_request(published(spec_dir, version), LEGACY_CANCEL_AS_IT_WAS, variables)
    assert problems == [
        "Variable '$refund' of type 'Boolean' used in position expecting type 'Boolean!'."
    ]
    if version in SUPPORTED_VERSIONS:
        ours = documents(version).order_cancel
        assert "$refund: Boolean!" in ours
        assert check_request(published(spec_dir, version), ours, variables) == []


@pytest.mark.parametrize("version", ["2025-07", "2026-01", "2026-04"])
def test_from_2025_07_refund_is_gone_and_refund_method_takes_its_place(spec_dir, version):
    schema = published(spec_dir, version)
    args = schema.mutation_type.fields["orderCancel"].args
    assert "refund" not in args and "refundMethod" in args
    assert "refundMethod" in documents(version).order_cancel


@pytest.mark.parametrize("version", ["2026-01", "2026-04"])
def test_from_2026_01_return_reason_is_replaced_by_a_definition_id(spec_dir, version):
    schema = published(spec_dir, version)
    old_line = {**RETURN_LINE, "returnReason": "OTHER"}
    variables = {"input": {"orderId": "gid://shopify/Order/1", "returnLineItems": [old_line]}}
    problems = check_request(schema, documents(version).return_request, variables)
    assert len(problems) == 1 and "returnReason" in problems[0]

    new_line = {**RETURN_LINE, "returnReasonDefinitionId": "gid://shopify/ReturnReasonDefinition/1"}
    variables["input"]["returnLineItems"] = [new_line]
    assert check_request(schema, documents(version).return_request, variables) == []


@pytest.mark.parametrize("version", ["2025-04", "2025-07"])
def test_before_2026_01_the_return_reason_enum_is_still_the_way(spec_dir, version):
    schema = published(spec_dir, version)
    fields = schema.type_map["ReturnRequestLineItemInput"].fields
    assert "returnReason" in fields and "returnReasonDefinitionId" not in fields
    assert documents(version).return_reasons is None
    assert set(schema.type_map["ReturnReason"].values) == RETURN_REASONS == set(REASON_HANDLES)


@pytest.mark.parametrize("version", ["2024-10", "2025-01", *SUPPORTED_VERSIONS])
def test_customer_email_is_deprecated_everywhere(spec_dir, version):
    customer = published(spec_dir, version).type_map["Customer"].fields
    assert customer["email"].deprecation_reason == "Use `defaultEmailAddress.emailAddress` instead."
    # ...and its replacement exists only from 2025-04: why 2024-10 and 2025-01 are not supported
    assert ("defaultEmailAddress" in customer) is (version in SUPPORTED_VERSIONS)


def test_no_published_return_error_code_says_not_returnable(spec_dir):
    # chatserver.runner reuses a return in progress on the client's own NOT_RETURNABLE
    # (items no longer in returnableFulfillments); Shopify's refusal would be one of these
    for version in SUPPORTED_VERSIONS:
        codes = published(spec_dir, version).type_map["ReturnErrorCode"].values
        assert "NOT_RETURNABLE" not in codes and "INVALID" in codes
        payload = published(spec_dir, version).type_map["ReturnRequestPayload"].fields
        assert str(payload["userErrors"].type) == "[ReturnUserError!]!"


# --- the vendored schemas the sandbox executes ---------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_vendored_schema_is_what_the_generator_makes_today(spec_dir, version):
    assert vendored_path(version).read_text(encoding="utf-8") == pruned_sdl(spec_dir, version)


def _args(field) -> dict[str, tuple[str, object, object]]:
    return {k: (str(a.type), a.default_value, a.deprecation_reason) for k, a in field.args.items()}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_vendored_schema_is_a_faithful_subset_of_the_published_one(spec_dir, version):
    full = published(spec_dir, version)
    pruned = build_schema(vendored_path(version).read_text(encoding="utf-8"))
    assert pruned.query_type.name == full.query_type.name
    for name, kind in pruned.type_map.items():
        if name.startswith("__"):
            continue
        source = full.type_map[name]
        assert type(kind) is type(source), name
        if isinstance(kind, GraphQLObjectType):
            for field_name, field in kind.fields.items():
                theirs = source.fields[field_name]
                assert str(field.type) == str(theirs.type), f"{name}.{field_name}"
                assert _args(field) == _args(theirs), f"{name}.{field_name}"
                assert field.deprecation_reason == theirs.deprecation_reason
        elif isinstance(kind, GraphQLInputObjectType):  # whole: every field, as published
            assert {k: (str(f.type), f.deprecation_reason) for k, f in kind.fields.items()} == {
                k: (str(f.type), f.deprecation_reason) for k, f in source.fields.items()
            }, name
        elif isinstance(kind, GraphQLEnumType):  # whole: every value, as published
            assert {k: v.deprecation_reason for k, v in kind.values.items()} == {
                k: v.deprecation_reason for k, v in source.values.items()
            }, name
        else:
            assert isinstance(kind, GraphQLScalarType), name


def test_no_user_error_type_has_a_code_the_published_one_lacks(spec_dir):
    for version in SUPPORTED_VERSIONS:
        pruned = build_schema(vendored_path(version).read_text(encoding="utf-8"))
        full = published(spec_dir, version)
        for name, kind in pruned.type_map.items():
            if name.endswith("UserError"):
                assert set(kind.fields) <= set(full.type_map[name].fields)
        assert "code" not in full.type_map["UserError"].fields  # the plain UserError has none


# --- the sandbox refuses what Shopify refuses ------------------------------------------

BAD = {
    "unknown field": ("{ orders(first: 1) { nodes { id colour } } }", {}, "undefinedField"),
    "missing required argument": (
        'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: CUSTOMER) '
        "{ job { id } } }",
        {},
        "missingRequiredArguments",
    ),
    "wrong variable type": (
        "query Q($n: String!) { orders(first: $n) { nodes { id } } }",
        {"n": "2"},
        "variableMismatch",
    ),
    "wrong enum value": (
        "{ orders(first: 1, sortKey: NEWEST) { nodes { id } } }",
        {},
        None,
    ),
}


async def _ask(sim, version, query, variables):
    async with httpx.AsyncClient(transport=transport(sim)) as http:
        answer = await http.post(
            f"http://shop.test/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": "demo"},
        )
    return answer.json()


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("version", [OLDEST, NEWEST])
async def test_the_sandbox_refuses_what_the_published_schema_refuses(spec_dir, case, version):
    query, variables, code = BAD[case]
    assert check_request(published(spec_dir, version), query, variables) != []

    body = await _ask(ShopifySimulator(), version, query, variables)
    assert "data" not in body and body["errors"]
    if code is not None:
        assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("version", ["2026-01", "2026-04"])
async def test_the_sandbox_refuses_the_retired_return_reason_input(spec_dir, version):
    variables = {"input": {"orderId": "gid://shopify/Order/5501003",
                           "returnLineItems": [{**RETURN_LINE, "returnReason": "OTHER"}]}}  # fmt: skip
    body = await _ask(ShopifySimulator(), version, documents(version).return_request, variables)
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable $input of type ReturnRequestInput! was provided invalid value "
        "for returnLineItems.0.returnReason"
    )
    assert error["extensions"]["problems"] == [
        {"path": ["returnLineItems", 0, "returnReason"],
         "explanation": "Field is not defined on ReturnRequestLineItemInput"}
    ]  # fmt: skip


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
async def test_the_sandbox_refuses_a_line_returned_already_with_a_published_code(spec_dir, version):
    sim, docs = ShopifySimulator(), documents(version)
    order = {"orderId": "gid://shopify/Order/5501003"}
    found = await _ask(sim, version, docs.returnable_fulfillments, order)
    line = found["data"]["returnableFulfillments"]["nodes"][0]["returnableFulfillmentLineItems"]
    fli = line["nodes"][0]["fulfillmentLineItem"]["id"]
    whole = {"fulfillmentLineItemId": fli, "quantity": line["nodes"][0]["quantity"]}
    if docs.return_reasons is None:  # before 2026-01 the reason enum is required
        whole["returnReason"] = "OTHER"
    request = {"input": {**order, "returnLineItems": [whole]}}

    first = await _ask(sim, version, docs.return_request, request)
    again = await _ask(sim, version, docs.return_request, request)

    assert first["data"]["returnRequest"]["userErrors"] == []
    assert again["data"]["returnRequest"] == {"return": None, "userErrors": [{
        "field": ["input", "returnLineItems", "0", "fulfillmentLineItemId"],
        "message": "Fulfillment line item is not returnable", "code": "INVALID",
    }]}  # fmt: skip
    answer = await _ask(sim, version, docs.order_returns, {"id": order["orderId"]})
    (ret,) = answer["data"]["order"]["returns"]["nodes"]
    assert ret == {"id": first["data"]["returnRequest"]["return"]["id"], "status": "REQUESTED"}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
async def test_the_sandbox_takes_the_refund_argument_only_where_it_exists(spec_dir, version):
    legacy = documents("2025-04").order_cancel
    current = documents("2026-04").order_cancel
    variables = {"orderId": "gid://shopify/Order/5501005", "reason": "CUSTOMER",
                 "restock": True, "refund": True}  # fmt: skip
    for document in (legacy, current):
        body = await _ask(ShopifySimulator(), version, document, variables)
        in_spec = check_request(published(spec_dir, version), document, variables) == []
        assert ("errors" not in body) is in_spec, json.dumps(body)[:300]
