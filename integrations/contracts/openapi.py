"""Requests and responses checked against a published OpenAPI 3.0 document, with
jsonschema (the well-kept JSON Schema implementation) doing the schema work.

OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few words of their own; the one
that changes validation, ``nullable: true``, is rewritten to a ``null`` type before
validating. Requests are checked strictly: a property the operation's schema does not
declare is a problem, because vendors ignore what they do not document (a tag edit
sent that way silently vanishes). Responses are checked as the spec allows: extra
properties pass, wrong types, missing required properties and nulls do not.

A recorded real response may disagree with its spec; :func:`deviations` lists how,
so a sandbox answer may differ from the spec only where reality does (docs/contracts.md).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

__all__ = ["Example", "OpenApi", "Violation", "deviations"]

_URN = "urn:spec"


@dataclass(frozen=True)
class Violation:
    """One place where a document breaks its schema: ``where`` has list indices as ``*``."""

    where: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.where or '(body)'}: {self.message}"


@dataclass(frozen=True)
class Example:
    """An example response body published in the spec."""

    method: str
    path: str
    status: str
    name: str
    body: Any


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable`` as JSON Schema, everywhere in a (copied) document."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
        elif isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
    return out


def _where(path: Any) -> str:
    return ".".join("*" if isinstance(p, int) else str(p) for p in path)


class OpenApi:
    """One published OpenAPI document.

    Args:
        spec: the parsed document. prefix: the path the first server URL adds
            (``/tracking/v3`` for USPS), found from ``servers`` when not given.
    """

    def __init__(self, spec: dict[str, Any], *, prefix: str | None = None) -> None:
        self.spec = spec
        self._converted = _convert(copy.deepcopy(spec))
        resource = Resource.from_contents(self._converted, default_specification=DRAFT4)
        self._registry: Registry = Registry().with_resource(_URN, resource)
        if prefix is None:
            servers = spec.get("servers") or [{}]
            prefix = urlparse(str(servers[0].get("url") or "")).path.rstrip("/")
            prefix = "" if "{" in prefix else prefix
        self.prefix = prefix
        self._paths = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"), p)
            for p in spec.get("paths", {})
        ]

    # --- finding the operation ---------------------------------------------------------

    def template(self, path: str) -> str | None:
        """The spec's path template for a request path (server prefix and a trailing
        ``.json``, which Zendesk accepts on every path, taken off)."""
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        for candidate in dict.fromkeys((path.removesuffix(".json"), path)):
            matches = [t for pattern, t in self._paths if pattern.match(candidate)]
            if matches:  # a literal segment beats a parameter (users/search, users/{id})
                return min(matches, key=lambda t: (t.count("{"), -len(t)))
        return None

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        template = self.template(path)
        if template is None:
            return None
        op = self.spec["paths"][template].get(method.lower())
        return (template, op) if isinstance(op, dict) else None

    def _parameters(self, template: str, op: dict[str, Any]) -> list[dict[str, Any]]:
        params = [*self.spec["paths"][template].get("parameters", []), *op.get("parameters", [])]
        return [self.resolve(p) for p in params]

    def resolve(self, node: Any) -> Any:
        """``node`` with a top-level ``$ref`` followed (into the original document)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node, seen = target, seen + 1
        return node

    # --- requests ------------------------------------------------------------------------

    def check_request(
        self, request: httpx.Request, body: Any = None, *, allow: frozenset[str] = frozenset()
    ) -> list[str]:
        """Problems with one request: unknown operation, undeclared or missing query
        parameters (but those in ``allow``, documented elsewhere by the vendor), and a
        JSON body that breaks (or goes beyond) the declared schema."""
        found = self.operation(request.method, request.url.path)
        if found is None:
            return [f"{request.method} {request.url.path}: no such operation in the spec"]
        template, op = found
        problems = []
        params = self._parameters(template, op)
        declared = {p["name"] for p in params if p.get("in") == "query"} | allow
        for name in request.url.params:
            if name not in declared and not any(name.startswith(f"{d}[") for d in declared):
                problems.append(f"query parameter {name!r} is not declared")
        for p in params:
            if p.get("required") and p.get("in") == "query" and p["name"] not in request.url.params:
                problems.append(f"required query parameter {p['name']!r} is missing")
            sent = {k.lower() for k in request.headers}
            if p.get("required") and p.get("in") == "header" and p["name"].lower() not in sent:
                problems.append(f"required header {p['name']!r} is missing")
        if body is not None:
            schema = self.request_schema(template, op, request.headers.get("content-type"))
            if schema is None:
                problems.append("a body is sent but the operation declares none")
            else:
                problems += [str(v) for v in self.validate(body, schema)]
                problems += [
                    f"{w}: not declared in the spec" for w in self.undeclared(body, schema)
                ]
        return problems

    def request_schema(
        self, template: str, op: dict[str, Any], content_type: str | None
    ) -> dict[str, Any] | None:
        content = (self.resolve(op.get("requestBody")) or {}).get("content") or {}
        kind = (content_type or "application/json").split(";")[0].strip()
        media = content.get(kind) or content.get("application/json")
        return media.get("schema") if isinstance(media, dict) else None

    # --- responses -----------------------------------------------------------------------

    def response_schema(
        self, method: str, path: str, status: int, content_type: str | None
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """The schema declared for this answer, or None with the reason it has none."""
        found = self.operation(method, path)
        if found is None:
            return None, [f"{method} {path}: no such operation in the spec"]
        _, op = found
        responses = op.get("responses") or {}
        declared = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        declared = self.resolve(declared or responses.get("default"))
        if declared is None:
            return None, [f"status {status} is not declared for {method} {path}"]
        content = declared.get("content") or {}
        if not content:
            return None, []
        kind = (content_type or "").split(";")[0].strip()
        if kind not in content:
            return None, [f"{kind or 'no content type'} is not declared for status {status} "
                          f"(declared: {', '.join(content)})"]  # fmt: skip
        return content[kind].get("schema"), []

    def check_response(
        self, method: str, path: str, status: int, content_type: str | None, body: Any
    ) -> list[Violation]:
        schema, problems = self.response_schema(method, path, status, content_type)
        found = [Violation("", "declared", p) for p in problems]
        return found + (self.validate(body, schema) if schema is not None else [])

    # --- schemas -------------------------------------------------------------------------

    def validate(self, instance: Any, schema: dict[str, Any]) -> list[Violation]:
        """Every violation of ``schema`` (a node of this document, refs allowed)."""
        converted = self._node(schema)
        validator = Draft4Validator(converted, registry=self._registry)
        found = [v for e in validator.iter_errors(instance) for v in _leaves(e)]
        return sorted(set(found), key=lambda v: (v.where, v.rule, v.message))

    def _node(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema node from the original document, in its converted form."""
        if set(schema) == {"$ref"}:
            return {"$ref": _URN + schema["$ref"]}
        converted = _convert(copy.deepcopy(schema))
        return _rebase(converted)

    def undeclared(self, instance: Any, schema: Any, where: str = "") -> Iterator[str]:
        """Paths of properties in ``instance`` that ``schema`` does not declare."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return
        if isinstance(instance, list):
            for item in instance:
                yield from self.undeclared(item, schema.get("items"), f"{where}[*]")
            return
        if not isinstance(instance, dict):
            return
        properties: dict[str, Any] = {}
        parts = [schema, *(self.resolve(s) for s in schema.get("allOf", []))]
        for part in parts:
            properties.update((part or {}).get("properties") or {})
        open_ended = any(
            (part or {}).get("additionalProperties") not in (None, False) for part in parts
        )
        free_form = "properties" not in schema and not schema.get("allOf")
        if free_form and not open_ended:
            return  # a free-form object ({type: object}) declares nothing to hold to
        for key, value in instance.items():
            if key in properties:
                declared = self.resolve(properties[key])
                if isinstance(declared, dict) and declared.get("readOnly"):
                    yield f"{where}.{key} (read-only)".lstrip(".")
                yield from self.undeclared(value, declared, f"{where}.{key}")
            elif not open_ended:
                yield f"{where}.{key}".lstrip(".")

    # --- examples ------------------------------------------------------------------------

    def response_examples(self, method: str, template: str) -> Iterator[Example]:
        """Every example response body the spec gives for one operation."""
        op = self.spec["paths"][template].get(method.lower()) or {}
        for status, declared in (op.get("responses") or {}).items():
            content = (self.resolve(declared) or {}).get("content") or {}
            for kind, media in content.items():
                if "json" not in kind or not isinstance(media, dict):
                    continue
                if "example" in media:
                    yield Example(
                        method, template, str(status), f"{status} {kind}", media["example"]
                    )
                top = self.resolve(media.get("schema"))
                if isinstance(top, dict) and isinstance(top.get("example"), dict | list):
                    yield Example(method, template, str(status), f"{status} schema", top["example"])
                for name, example in (media.get("examples") or {}).items():
                    value = self.resolve(example)
                    if isinstance(value, dict) and "value" in value:
                        yield Example(
                            method, template, str(status), f"{status} {name}", value["value"]
                        )


def _leaves(error: Any) -> list[Violation]:
    """An error, or for a failed ``oneOf``/``anyOf`` the errors of the branch that came
    closest, so a deviation is named where it is, not as the whole body."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0], []).append(sub)

        def distance(errors: list[Any]) -> tuple[int, int]:
            # a branch refused as a whole (wrong type, extra or missing top properties)
            # is further than one that only differs inside
            whole = sum(not e.relative_path for e in errors)
            return whole, len(errors)

        closest = min(branches.values(), key=distance)
        return [v for sub in closest for v in _leaves(sub)]
    return [Violation(_where(error.absolute_path), str(error.validator), error.message[:200])]


def _rebase(node: Any) -> Any:
    """Local ``#/...`` refs in a copied node, pointed at the registered document."""
    if isinstance(node, list):
        return [_rebase(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _rebase(v) for k, v in node.items()}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#/"):
        out["$ref"] = _URN + out["$ref"]
    return out


def deviations(violations: list[Violation]) -> set[tuple[str, str]]:
    """How a document departs from its schema, as (where, rule) pairs to compare."""
    return {(v.where, v.rule) for v in violations}
