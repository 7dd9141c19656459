"""Errors the GraphQL sandbox answers, shaped as Shopify's (graphql-ruby's) are.

The common validation failures are rewritten to graphql-ruby's wording and
``extensions.code`` (``undefinedField``, ``argumentNotAccepted``,
``missingRequiredArguments``, ``variableMismatch``) with a ``path`` from the operation
down, and an invalid variable is reported as graphql-ruby does (``Variable $x of type
T was provided invalid value`` with ``extensions.problems``). Other errors keep
graphql-core's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    type_from_ast,
    value_from_ast,
)
from graphql.utilities import validate_input_value

__all__ = ["RequestError", "check_variables", "field_paths", "shape"]


class RequestError(Exception):
    """The request was refused before execution; ``errors`` are the answer's errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


def check_variables(
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


def shape(error: GraphQLError, paths: dict[int, list[Any]]) -> dict[str, Any]:
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


def field_paths(document: DocumentNode) -> dict[int, list[Any]]:
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
