"""GraphQL for simulators, on graphql-core: a published schema (SDL) made executable
with resolvers, validated, priced and run, with errors shaped like Shopify's.

Shopify runs graphql-ruby, whose messages differ from graphql-core's; the common
validation failures are rewritten to graphql-ruby's wording and ``extensions.code``
(``undefinedField``, ``argumentNotAccepted``, ``missingRequiredArguments``,
``variableMismatch``) with a ``path`` from the operation down, and an invalid
variable is reported as graphql-ruby does (``Variable $x of type T was provided
invalid value`` with ``extensions.problems``). Other errors keep graphql-core's text.

Cost model (Shopify's published defaults, simplified): every object costs 1, a field
with ``first``/``last: n`` multiplies what it selects by n, connection/edge/pageInfo
wrappers are free and a mutation field costs 10.
"""

from __future__ import annotations

import re
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
    GraphQLInputType,
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
    type_from_ast,
    validate,
    value_from_ast,
    value_from_ast_untyped,
)
from graphql.utilities import validate_input_value

__all__ = ["Page", "Prepared", "executable_schema", "paginate", "prepare", "run"]


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


class RequestError(Exception):
    """The request was refused before execution; ``errors`` are the answer's errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


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
        raise RequestError([_shape(exc, {})]) from None
    errors = validate(schema, document)
    if errors:
        paths = _field_paths(document)
        raise RequestError([_shape(e, paths) for e in errors])
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
    _check_variables(schema, operation, variables)
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
    errors = [_shape(e, {}) for e in result.errors or ()]
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


def _check_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, given: dict[str, Any]
) -> None:
    """graphql-ruby's answer to a variable of the wrong type or shape."""
    errors = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        kind: GraphQLInputType = type_from_ast(schema, definition.type)  # type: ignore[assignment]
        if name not in given and definition.default_value is not None:
            given[name] = value_from_ast(definition.default_value, kind)
        problems = _problems(given.get(name), kind)
        if problems:
            where = ".".join(str(p) for p in problems[0]["path"])
            declared = _type_text(definition.type)
            errors.append(
                {
                    "message": f"Variable ${name} of type {declared} was provided invalid value"
                    + (f" for {where}" if where else ""),
                    "locations": [_location(definition)],
                    "extensions": {"value": given.get(name), "problems": problems},
                }
            )
    if errors:
        raise RequestError(errors)


def _problems(value: Any, kind: GraphQLInputType) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def collect(error: GraphQLError, path: list[str | int]) -> None:
        unknown = re.search(r"not to include unknown field '(\w+)'", error.message)
        where = [*path, unknown.group(1)] if unknown else list(path)  # graphql-ruby names it
        found.append({"path": where, "explanation": _explain(error.message)})

    validate_input_value(value, kind, collect, True)
    return found


def _type_text(node: Any) -> str:
    kind = node.kind
    if kind == "non_null_type":
        return _type_text(node.type) + "!"
    if kind == "list_type":
        return f"[{_type_text(node.type)}]"
    return str(node.name.value)


def _explain(message: str) -> str:
    """graphql-core's reason for refusing a value, in graphql-ruby's words."""
    m = re.match(r"Expected value of type '(\w+)' not to include unknown field", message)
    if m:
        return f"Field is not defined on {m.group(1)}"
    if "non-null" in message and ("not to be null" in message or "not provided" in message):
        return "Expected value to not be null"
    return message.rstrip(".")


# --- errors shaped like Shopify's -----------------------------------------------------

_REWRITES: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, dict[str, Any]]]], ...
] = (
    (
        re.compile(r"Cannot query field '(\w+)' on type '(\w+)'"),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]},
        ),
    ),
    (
        re.compile(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'"),
        lambda m: (
            f"Field '{m[2]}' doesn't accept argument '{m[1]}'",
            {
                "code": "argumentNotAccepted",
                "name": m[2],
                "typeName": "Field",
                "argumentName": m[1],
            },
        ),
    ),
    (
        re.compile(r"Argument '\w+\.(\w+)\((\w+):\)' of type '[^']+' is required"),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {
                "code": "missingRequiredArguments",
                "className": "Field",
                "name": m[1],
                "arguments": m[2],
            },
        ),
    ),
    (
        re.compile(
            r"Variable '\$(\w+)' of type '([^']+)' used in position expecting type '([^']+)'"
        ),
        lambda m: (
            (
                f"Nullability mismatch on variable ${m[1]} and argument {m[1]} ({m[2]} / {m[3]})"
                if m[3].rstrip("!") == m[2].rstrip("!")
                else f"Type mismatch on variable ${m[1]} and argument {m[1]} ({m[2]} / {m[3]})"
            ),
            {"code": "variableMismatch", "variableName": m[1], "typeName": m[2]},
        ),
    ),
)


def _shape(error: GraphQLError, paths: dict[int, list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    extensions = dict(error.extensions or {})
    for pattern, rewrite in _REWRITES:
        m = pattern.match(error.message)
        if m:
            out["message"], found = rewrite(m)
            extensions = {**found, **extensions}
            break
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        out["path"] = list(error.path)
    else:
        node = next((n for n in error.nodes or () if id(n) in paths), None)
        if node is not None:
            out["path"] = paths[id(node)]
    if extensions:
        out["extensions"] = extensions
    return out


def _location(node: Any) -> dict[str, int]:
    loc = node.loc
    line = loc.source.body.count("\n", 0, loc.start) + 1 if loc else 1
    column = loc.start - loc.source.body.rfind("\n", 0, loc.start) if loc else 1
    return {"line": line, "column": column}


def _field_paths(document: DocumentNode) -> dict[int, list[Any]]:
    """Every field and argument node -> graphql-ruby's path: operation, then keys."""
    out: dict[int, list[Any]] = {}

    def walk(selection_set: SelectionSetNode | None, path: list[Any]) -> None:
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                here = [*path, (node.alias or node.name).value]
                out[id(node)] = here
                for argument in node.arguments or ():
                    out[id(argument)] = [*here, argument.name.value]
                walk(node.selection_set, here)
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set, path)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            kind = definition.operation.value
            label = f"{kind} {definition.name.value}" if definition.name else kind
            walk(definition.selection_set, [label])
    return out


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
