"""One GraphQL request checked against a published schema: the document validates, the
variables coerce to their declared types, and nothing deprecated is used (a field, an
argument, an input field or an enum value, in the document or in the variables)."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoDeprecatedCustomRule

__all__ = ["check_request"]


def check_request(
    schema: GraphQLSchema, document: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """Everything wrong with sending ``document`` and ``variables`` to ``schema``."""
    try:
        ast = parse(document)
    except GraphQLSyntaxError as exc:
        return [f"syntax: {exc.message}"]
    problems = [e.message for e in validate(schema, ast)]
    if problems:
        return problems
    problems = [e.message for e in validate(schema, ast, [NoDeprecatedCustomRule])]
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return [*problems, "expected exactly one operation per document"]
    definitions = operations[0].variable_definitions or ()
    coerced = get_variable_values(schema, definitions, variables or {})
    if isinstance(coerced, list):
        return [*problems, *(e.message for e in coerced)]
    for definition in definitions:
        name = definition.variable.name.value
        if name in (variables or {}):
            kind = type_from_ast(schema, definition.type)
            problems.extend(_deprecated(kind, variables[name], f"${name}"))  # type: ignore[index,arg-type]
    return problems


def _deprecated(kind: GraphQLInputType, value: Any, where: str) -> list[str]:
    """Deprecated input fields and enum values used in a variable's value."""
    if value is None:
        return []
    if isinstance(kind, GraphQLNonNull):
        return _deprecated(kind.of_type, value, where)
    if isinstance(kind, GraphQLList):
        items = value if isinstance(value, list) else [value]
        return [
            p for i, v in enumerate(items) for p in _deprecated(kind.of_type, v, f"{where}[{i}]")
        ]
    if isinstance(kind, GraphQLInputObjectType) and isinstance(value, dict):
        found = []
        for key, inner in value.items():
            field = kind.fields[key]
            if field.deprecation_reason:
                found.append(
                    f"{where}.{key}: the input field {kind.name}.{key} is deprecated. "
                    f"{field.deprecation_reason}"
                )
            found.extend(_deprecated(field.type, inner, f"{where}.{key}"))
        return found
    if isinstance(kind, GraphQLEnumType) and isinstance(value, str) and value in kind.values:
        reason = kind.values[value].deprecation_reason
        if reason:
            return [f"{where}: the enum value {kind.name}.{value} is deprecated. {reason}"]
    return []
