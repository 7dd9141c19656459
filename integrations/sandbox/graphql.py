"""GraphQL for simulators, on graphql-core: a published schema (SDL) made executable
with resolvers, validated, priced and run, with errors shaped like Shopify's.

Shopify runs graphql-ruby, whose messages differ from graphql-core's: see
:mod:`integrations.sandbox.graphql_errors` for how errors are shaped.

Cost model (Shopify's published defaults, simplified): every object costs 1, a field
with ``first``/``last: n`` multiplies what it selects by n, connection/edge/pageInfo
wrappers are free and a mutation field costs 10.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    parse,
    validate,
    value_from_ast_untyped,
)

from integrations.sandbox.graphql_errors import RequestError, check_variables, field_paths, shape

__all__ = ["Page", "Prepared", "RequestError", "executable_schema", "paginate", "prepare", "run"]


@dataclass
class Page:
    """What a connection field resolves to: its ``nodes`` and whether more follow."""

    items: list[Any]
    has_next: bool = False


def paginate(items: list[Any], args: dict[str, Any]) -> Page:
    """``first`` items (``after`` an opaque cursor is not supported by the sandboxes)."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError(
            "you must provide one of first or last", extensions={"code": "BAD_REQUEST"}
        )
    count = first if first is not None else last
    if not 0 <= count <= 250:
        raise GraphQLError(
            "first and last must be between 0 and 250", extensions={"code": "BAD_REQUEST"}
        )
    if first is None:
        return Page(items[-count:] if count else [], len(items) > count)
    return Page(items[:count], len(items) > count)


# --- the schema ------------------------------------------------------------------


def _datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _parse_datetime(value: Any) -> str:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"invalid DateTime: {value!r}") from None
    return str(value)


def _parse_decimal(value: Any) -> str:
    try:
        Decimal(str(value))
    except InvalidOperation:
        raise GraphQLError(f"invalid Decimal: {value!r}") from None
    return str(value)


_SCALARS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any] | None]] = {
    "DateTime": (_datetime, _parse_datetime),
    "Decimal": (lambda v: f"{v:.2f}" if isinstance(v, Decimal) else str(v), _parse_decimal),
    "URL": (str, None),
}


def executable_schema(
    sdl: str, resolvers_for: Callable[[GraphQLSchema], dict[str, dict[str, Callable[..., Any]]]]
) -> GraphQLSchema:
    """The schema of ``sdl`` with ``resolvers_for(schema)[type][field]`` attached.

    A connection's ``nodes`` resolve from the :class:`Page` its field returns; every
    other field without a resolver reads the same-named key or attribute.

    Raises:
        ValueError: a resolver names a type or field the schema does not have.
    """
    schema = build_schema(sdl)
    for name, (serialize, parse_value) in _SCALARS.items():
        scalar = schema.type_map.get(name)
        if isinstance(scalar, GraphQLScalarType):
            # graphql-core 3.3 reads coerce_*; the older names are kept in step with them.
            scalar.serialize = scalar.coerce_output_value = serialize  # type: ignore[method-assign]
            if parse_value is not None:
                scalar.parse_value = scalar.coerce_input_value = parse_value  # type: ignore[method-assign]
    for name, kind in schema.type_map.items():
        if (
            isinstance(kind, GraphQLObjectType)
            and name.endswith("Connection")
            and "nodes" in kind.fields
        ):
            kind.fields["nodes"].resolve = lambda page, _info, **_: page.items
    for type_name, fields in resolvers_for(schema).items():
        kind = schema.type_map.get(type_name)
        if not isinstance(kind, GraphQLObjectType):
            raise ValueError(f"no object type {type_name} in the schema")
        for field_name, resolve in fields.items():
            if field_name not in kind.fields:
                raise ValueError(f"no field {type_name}.{field_name} in the schema")
            kind.fields[field_name].resolve = resolve
    return schema


# --- preparing a request -----------------------------------------------------------


@dataclass
class Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any]
    cost: int


def prepare(
    schema: GraphQLSchema,
    text: str,
    variables: dict[str, Any],
    operation_name: str | None = None,
) -> Prepared:
    """Parse, validate, pick the operation, check the variables and price it.

    Raises:
        RequestError: a syntax error, a validation error or an invalid variable.
    """
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise RequestError([shape(exc, {})]) from None
    errors = validate(schema, document)
    if errors:
        paths = field_paths(document)
        raise RequestError([shape(e, paths) for e in errors])
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        message = (
            f'No operation named "{operation_name}"'
            if operation_name
            else "An operation name is required when sending multiple operations"
        )
        raise RequestError([{"message": message}])
    operation = operations[0]
    check_variables(schema, operation, variables)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    assert root is not None
    cost = _requested(schema, operation.selection_set, root, variables, fragments, root=True)
    return Prepared(document, operation, variables, cost)


def run(schema: GraphQLSchema, prepared: Prepared, context: Any) -> tuple[Any, list[Any], int]:
    """Execute: ``(data, errors, actual cost)``; a resolver's error nulls its field."""
    result: ExecutionResult = execute(  # type: ignore[assignment]
        schema,
        prepared.document,
        variable_values=prepared.variables,
        operation_name=prepared.operation.name.value if prepared.operation.name else None,
        context_value=context,
    )
    errors = [shape(e, {}) for e in result.errors or ()]
    mutation = prepared.operation.operation.value == "mutation"
    root = schema.mutation_type if mutation else schema.query_type
    fragments = {
        d.name.value: d
        for d in prepared.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    assert root is not None
    actual = _actual(
        schema, prepared.operation.selection_set, root, result.data, fragments, mutation
    )
    return result.data, errors, actual


# --- cost ------------------------------------------------------------------------------


def _free(kind: GraphQLNamedType) -> bool:
    return kind.name.endswith(("Connection", "Edge")) or kind.name == "PageInfo"


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            yield from _fields(fragments[node.name.value].selection_set, fragments)


def _page_size(node: FieldNode, variables: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = value_from_ast_untyped(argument.value, variables)
            if isinstance(value, int) and value > 0:
                return value
    return 1


def _requested(schema, selection_set, parent, variables, fragments, *, root=False) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for node in _fields(selection_set, fragments):
        field = parent.fields.get(node.name.value) if hasattr(parent, "fields") else None
        if field is None:
            continue
        kind = get_named_type(field.type)
        if not isinstance(kind, GraphQLObjectType):
            continue
        own = 10 if root and parent is schema.mutation_type else 0 if _free(kind) else 1
        inner = _requested(schema, node.selection_set, kind, variables, fragments)
        total += _page_size(node, variables) * (own + inner)
    return total


def _actual(schema, selection_set, parent, data, fragments, mutation) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for node in _fields(selection_set, fragments):
        field = parent.fields.get(node.name.value)
        kind = get_named_type(field.type) if field is not None else None
        if not isinstance(kind, GraphQLObjectType) or not isinstance(data, dict):
            continue
        own = 10 if mutation else 0 if _free(kind) else 1
        for item in _flatten(data.get((node.alias or node.name).value)):
            total += own + _actual(schema, node.selection_set, kind, item, fragments, False)
    return total


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value
