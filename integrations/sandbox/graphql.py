"""A tiny GraphQL subset for simulators: parse one document, validate it against a
small schema of resolvers, price it, run it.

Supported: ``query``/``mutation`` operations (named or anonymous), variable
definitions with defaults, aliases, arguments (variables, scalars, enums, lists,
input objects), nested selection sets and ``__typename``. Not supported: fragments,
directives, subscriptions — a document using them gets a GraphQL error, never a
silent null. Errors are shaped like Shopify's (``message``, ``locations``, ``path``,
``extensions.code``).

Cost model (Shopify's published defaults, simplified): every object costs 1, a field
with ``first: n`` multiplies what it selects by n, connection/edge/pageInfo wrappers
are free and a mutation field costs 10.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Field",
    "FieldDef",
    "GraphQLError",
    "Operation",
    "Page",
    "Prepared",
    "ValidationFailed",
    "add_connection",
    "execute",
    "paginate",
    "prepare",
]


class GraphQLError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        loc: tuple[int, int] | None = None,
        path: list[Any] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.path = path
        self.extensions = {"code": code, **extensions} if code else extensions

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.loc:
            out["locations"] = [{"line": self.loc[0], "column": self.loc[1]}]
        if self.path is not None:
            out["path"] = self.path
        if self.extensions:
            out["extensions"] = self.extensions
        return out


# --- parsing -------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Field]
    loc: tuple[int, int]

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Operation:
    kind: str  # query | mutation
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name -> (type, default)
    selections: list[Field]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.name else self.kind


_TOKEN = re.compile(
    r'(?P<ws>[\s,\ufeff]+|#[^\n]*)|(?P<str>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r"|(?P<punct>\.\.\.|[!$():=@\[\]{}|&])"
)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _tokenize(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    tokens, pos, line, line_start = [], 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        loc = (line, pos - line_start + 1)
        if m is None:
            raise GraphQLError(f"Parse error on {text[pos]!r}", code="parseError", loc=loc)
        kind, value = m.lastgroup or "", m.group()
        if kind != "ws":
            tokens.append((kind, value, loc))
        for i, ch in enumerate(value):
            if ch == "\n":
                line, line_start = line + 1, pos + i + 1
        pos = m.end()
    tokens.append(("eof", "", (line, pos - line_start + 1)))
    return tokens


def _unescape(raw: str) -> str:
    body = raw[1:-1]

    def sub(m: re.Match[str]) -> str:
        esc = m.group(1)
        return chr(int(esc[1:], 16)) if esc[0] == "u" else _ESCAPES.get(esc, esc)

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|.)", sub, body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        k, v, _ = self.tokens[self.i]
        return (value is None or v == value) and (kind is None or k == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> tuple[str, str, Any]:
        tok = self.tokens[self.i]
        if not self.peek(value, kind):
            shown = tok[1] or "end of file"
            expected = f" (expected {value or kind})"
            raise GraphQLError(
                f'Parse error on "{shown}" ({tok[0].upper()}){expected}',
                code="parseError",
                loc=tok[2],
            )
        self.i += 1
        return tok

    def document(self) -> list[Operation]:
        ops = []
        while not self.peek(kind="eof"):
            if self.peek("{"):
                ops.append(Operation("query", None, {}, self.selection_set()))
            elif self.peek("query") or self.peek("mutation"):
                kind = self.take()[1]
                name = self.take(kind="name")[1] if self.peek(kind="name") else None
                variables = self.variable_defs() if self.peek("(") else {}
                ops.append(Operation(kind, name, variables, self.selection_set()))
            else:
                _, value, loc = self.tokens[self.i]
                raise GraphQLError(
                    f"Unsupported definition {value!r} (this sandbox knows queries and mutations)",
                    code="parseError",
                    loc=loc,
                )
        return ops

    def variable_defs(self) -> dict[str, tuple[str, Any]]:
        self.take("(")
        out = {}
        while not self.peek(")"):
            self.take("$")
            name = self.take(kind="name")[1]
            self.take(":")
            type_ = self.type_ref()
            default = self.value(const=True) if self.peek("=") and self.take("=") else None
            out[name] = (type_, default)
        self.take(")")
        return out

    def type_ref(self) -> str:
        if self.peek("["):
            self.take("[")
            inner = self.type_ref()
            self.take("]")
            out = f"[{inner}]"
        else:
            out = self.take(kind="name")[1]
        return out + "!" if self.peek("!") and self.take("!") else out

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields = []
        while not self.peek("}"):
            if self.peek("...") or self.peek("@"):
                raise GraphQLError(
                    "Fragments and directives are not supported by this sandbox",
                    code="parseError",
                    loc=self.tokens[self.i][2],
                )
            _, name, loc = self.take(kind="name")
            alias = None
            if self.peek(":"):
                self.take(":")
                alias, name = name, self.take(kind="name")[1]
            args = self.arguments() if self.peek("(") else {}
            subs = self.selection_set() if self.peek("{") else []
            fields.append(Field(name, alias, args, subs, loc))
        self.take("}")
        if not fields:
            raise GraphQLError("Empty selection set", code="parseError")
        return fields

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        out = {}
        while not self.peek(")"):
            name = self.take(kind="name")[1]
            self.take(":")
            out[name] = self.value()
        self.take(")")
        return out

    def value(self, const: bool = False) -> Any:
        kind, v, loc = self.tokens[self.i]
        if v == "$" and not const:
            self.take("$")
            return Var(self.take(kind="name")[1])
        if v == "[":
            self.take("[")
            items = []
            while not self.peek("]"):
                items.append(self.value(const))
            self.take("]")
            return items
        if v == "{":
            self.take("{")
            obj = {}
            while not self.peek("}"):
                key = self.take(kind="name")[1]
                self.take(":")
                obj[key] = self.value(const)
            self.take("}")
            return obj
        self.i += 1
        if kind == "str":
            return _unescape(v)
        if kind == "num":
            return float(v) if any(c in v for c in ".eE") else int(v)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(v, v)  # enums stay names
        raise GraphQLError(f'Parse error on "{v}"', code="parseError", loc=loc)


# --- schema and execution --------------------------------------------------------

Resolver = Callable[[Any, dict[str, Any], Any], Any]


@dataclass(frozen=True)
class FieldDef:
    """``type`` is an object type name from the schema, a scalar name, or ``[T]``."""

    type: str
    resolve: Resolver | None = None
    args: tuple[str, ...] = ()


Schema = dict[str, dict[str, FieldDef]]


@dataclass
class Page:
    items: list[Any]
    has_next: bool = False
    offset: int = 0


def _cursor(i: int) -> str:
    return base64.b64encode(f'{{"last_id":{i}}}'.encode()).decode()


def paginate(items: list[Any], args: dict[str, Any]) -> Page:
    first = args.get("first")
    if first is None:
        raise GraphQLError("you must provide one of first or last", code="BAD_REQUEST")
    if not isinstance(first, int) or not 0 <= first <= 250:
        raise GraphQLError("first must be between 0 and 250", code="BAD_REQUEST")
    return Page(items[:first], len(items) > first)


def add_connection(schema: Schema, node: str) -> None:
    """Add ``<node>Connection`` and ``<node>Edge``; the parent resolver returns a Page."""

    def info(p: Page, a: dict[str, Any], c: Any) -> dict[str, Any]:
        n = len(p.items)
        return {
            "hasNextPage": p.has_next,
            "hasPreviousPage": False,
            "startCursor": _cursor(0) if n else None,
            "endCursor": _cursor(n - 1) if n else None,
        }

    schema[f"{node}Connection"] = {
        "nodes": FieldDef(f"[{node}]", lambda p, a, c: p.items),
        "edges": FieldDef(f"[{node}Edge]", lambda p, a, c: list(enumerate(p.items))),
        "pageInfo": FieldDef("PageInfo", info),
    }
    schema[f"{node}Edge"] = {
        "node": FieldDef(node, lambda e, a, c: e[1]),
        "cursor": FieldDef("String", lambda e, a, c: _cursor(e[0])),
    }
    schema.setdefault(
        "PageInfo",
        {k: FieldDef(t) for k, t in [("hasNextPage", "Boolean"), ("hasPreviousPage", "Boolean")]}
        | {"startCursor": FieldDef("String"), "endCursor": FieldDef("String")},
    )


def _free(type_name: str) -> bool:
    return type_name.endswith(("Connection", "Edge")) or type_name == "PageInfo"


@dataclass
class Prepared:
    operation: Operation
    root_type: str
    variables: dict[str, Any]
    cost: int = 0
    actual_cost: int = field(default=0)


def prepare(
    schema: Schema,
    text: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    roots: dict[str, str] | None = None,
) -> Prepared:
    """Parse, pick the operation, bind variables, validate and price it.

    Raises:
        GraphQLError: a parse error or a missing variable.
        ValidationFailed: unknown fields or arguments, every one of them in ``errors``.
    """
    roots = roots or {"query": "QueryRoot", "mutation": "Mutation"}
    ops = _Parser(text).document()
    if operation_name:
        ops = [op for op in ops if op.name == operation_name]
        if not ops:
            raise GraphQLError(f'No operation named "{operation_name}"', code="BAD_REQUEST")
    if len(ops) != 1:
        raise GraphQLError(
            "An operation name is required when sending multiple operations", code="BAD_REQUEST"
        )
    op = ops[0]
    bound = _bind(op, variables or {})
    root_type = roots[op.kind]
    errors: list[GraphQLError] = []
    cost = _validate(schema, root_type, op.selections, bound, [op.label], errors, op.kind)
    if errors:
        raise ValidationFailed(errors)
    return Prepared(op, root_type, bound, cost)


class ValidationFailed(Exception):
    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _bind(op: Operation, given: dict[str, Any]) -> dict[str, Any]:
    bound = {}
    for name, (type_, default) in op.variables.items():
        if name in given and given[name] is not None:
            bound[name] = given[name]
        elif default is not None:
            bound[name] = default
        elif type_.endswith("!"):
            raise GraphQLError(
                f"Variable ${name} of type {type_} was provided invalid value",
                code="INVALID_VARIABLE",
                problems=[{"path": [], "explanation": "Expected value to not be null"}],
            )
    return bound


def _resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolve_value(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_value(v, variables) for k, v in value.items()}
    return value


def _base(type_name: str) -> str:
    return type_name.strip("[]!")


def _validate(schema, type_name, fields, variables, path, errors, kind) -> int:
    total = 0
    for f in fields:
        here = [*path, f.key]
        if f.name == "__typename":
            continue
        fdef = schema[type_name].get(f.name)
        if fdef is None:
            errors.append(
                GraphQLError(
                    f"Field '{f.name}' doesn't exist on type '{type_name}'",
                    code="undefinedField",
                    loc=f.loc,
                    path=here,
                    typeName=type_name,
                    fieldName=f.name,
                )
            )
            continue
        for arg in f.args:
            if arg not in fdef.args:
                errors.append(
                    GraphQLError(
                        f"Field '{f.name}' doesn't accept argument '{arg}'",
                        code="argumentNotAccepted",
                        loc=f.loc,
                        path=[*here, arg],
                        name=f.name,
                        typeName="Field",
                        argumentName=arg,
                    )
                )
        base = _base(fdef.type)
        if base in schema and not f.selections:
            errors.append(
                GraphQLError(
                    f"Field must have selections (field '{f.name}' returns {base} but has "
                    "no selections. Did you mean '{f.name} { ... }'?)",
                    code="selectionMismatch",
                    loc=f.loc,
                    path=here,
                    nodeName=f"field '{f.name}'",
                    typeName=base,
                )
            )
        elif base not in schema and f.selections:
            errors.append(
                GraphQLError(
                    f"Selections can't be made on scalars (field '{f.name}' returns {base} "
                    "but has selections [" + ", ".join(s.name for s in f.selections) + "])",
                    code="selectionMismatch",
                    loc=f.loc,
                    path=here,
                    nodeName=f"field '{f.name}'",
                    typeName=base,
                )
            )
        elif base in schema:
            inner = _validate(schema, base, f.selections, variables, here, errors, "query")
            first = _resolve_value(f.args.get("first"), variables)
            own = 10 if kind == "mutation" else 0 if _free(base) else 1
            total += (first if isinstance(first, int) and first > 0 else 1) * (own + inner)
    return total


def execute(schema: Schema, prepared: Prepared, root: Any, context: Any) -> tuple[Any, list]:
    """Run a prepared operation: ``(data, errors)``; a resolver's GraphQLError nulls its
    field and is reported with its path. ``prepared.actual_cost`` counts what was built."""
    errors: list[GraphQLError] = []
    data = _complete_object(
        schema,
        prepared,
        prepared.root_type,
        root,
        prepared.operation.selections,
        [],
        errors,
        context,
    )
    return data, errors


def _complete_object(schema, prep, type_name, obj, fields, path, errors, ctx):
    out: dict[str, Any] = {}
    for f in fields:
        if f.name == "__typename":
            out[f.key] = type_name
            continue
        fdef = schema[type_name][f.name]
        args = {k: _resolve_value(v, prep.variables) for k, v in f.args.items()}
        here = [*path, f.key]
        try:
            if fdef.resolve is not None:
                value = fdef.resolve(obj, args, ctx)
            elif isinstance(obj, dict):
                value = obj.get(f.name)
            else:
                value = getattr(obj, f.name, None)
            out[f.key] = _complete(schema, prep, fdef.type, value, f, here, errors, ctx, not path)
        except GraphQLError as exc:
            exc.path = here
            exc.loc = exc.loc or f.loc
            errors.append(exc)
            out[f.key] = None
    return out


def _complete(schema, prep, type_name, value, f, path, errors, ctx, top):
    if value is None:
        return None
    if type_name.startswith("["):
        inner = type_name[1:-1]
        return [
            _complete(schema, prep, inner, v, f, [*path, i], errors, ctx, False)
            for i, v in enumerate(value)
        ]
    if type_name not in schema:
        return value
    if top and prep.operation.kind == "mutation":
        prep.actual_cost += 10
    elif not _free(type_name):
        prep.actual_cost += 1
    return _complete_object(schema, prep, type_name, value, f.selections, path, errors, ctx)
