"""The part of a published Shopify Admin schema the client's documents reach, as SDL,
for the Shopify sandbox to execute against (it must not read ``../shared`` at run
time, and a whole schema is 3 MB).

What is kept, and why it stays faithful:

* object types: only the fields the documents select, each with all its arguments
  exactly as published (so a missing or wrong argument fails as it does on Shopify);
* input types and enums: whole, with every field and value and their deprecations
  (so an input field that a version removed, or a wrong enum value, fails);
* scalars used by any of the above; the query and mutation roots keep their names.

Dropped: descriptions, and ``implements`` clauses (no interface is selected through).
``tests/integrations/test_shopify_contract.py`` checks every vendored file against the
published schema (each kept type and field identical) and that regenerating gives the
same text. Each file is about 9 KB. Regenerate after changing :mod:`integrations.shopify_queries`::

    python -m integrations.contracts.prune [--specs DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphql import (
    FieldNode,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    print_schema,
    specified_scalar_types,
    visit,
)

from integrations.contracts.specs import (
    default_spec_dir,
    require,
    shopify_schema,
    shopify_schema_file,
)
from integrations.shopify_queries import documents
from integrations.shopify_versions import SUPPORTED_VERSIONS

__all__ = ["VENDORED", "prune", "pruned_sdl", "vendored_path"]

VENDORED = Path(__file__).resolve().parents[1] / "sandbox" / "shopify_schemas"


def vendored_path(version: str) -> Path:
    return VENDORED / f"admin_{version}.graphql"


class _Collect(Visitor):
    def __init__(self, info: TypeInfo, chosen: dict[str, set[str]]) -> None:
        super().__init__()
        self.info, self.chosen = info, chosen

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.info.get_parent_type()
        if parent is not None and not node.name.value.startswith("__"):
            if not isinstance(parent, GraphQLObjectType):
                raise ValueError(f"selection through {parent.name} is not supported")
            self.chosen.setdefault(parent.name, set()).add(node.name.value)


def _selected(schema: GraphQLSchema, texts: list[str]) -> dict[str, list[str]]:
    """Object type name -> field names the documents select on it, in schema order."""
    chosen: dict[str, set[str]] = {}
    for text in texts:
        info = TypeInfo(schema)
        visit(parse(text), TypeInfoVisitor(info, _Collect(info, chosen)))
    return {
        name: [f for f in schema.type_map[name].fields if f in wanted]  # type: ignore[union-attr]
        for name, wanted in chosen.items()
    }


def prune(schema: GraphQLSchema, texts: list[str]) -> GraphQLSchema:
    """The subset of ``schema`` that ``texts`` (GraphQL documents) reach."""
    selected = _selected(schema, texts)
    built: dict[str, GraphQLNamedType] = {}

    def named(name: str) -> GraphQLNamedType:
        if name in specified_scalar_types:
            return specified_scalar_types[name]
        if name not in built:
            built[name] = make(schema.type_map[name])
        return built[name]

    def wrap(kind: object) -> object:
        of_type = getattr(kind, "of_type", None)
        if of_type is None:
            return named(kind.name)  # type: ignore[attr-defined]
        return type(kind)(wrap(of_type))  # GraphQLList / GraphQLNonNull

    def make(source: GraphQLNamedType) -> GraphQLNamedType:
        if isinstance(source, GraphQLScalarType):
            return GraphQLScalarType(source.name, specified_by_url=source.specified_by_url)
        if isinstance(source, GraphQLEnumType):
            return GraphQLEnumType(
                source.name,
                {
                    k: GraphQLEnumValue(v.value, deprecation_reason=v.deprecation_reason)
                    for k, v in source.values.items()
                },
            )
        if isinstance(source, GraphQLInputObjectType):
            return GraphQLInputObjectType(
                source.name,
                lambda: {
                    k: GraphQLInputField(
                        wrap(f.type),  # type: ignore[arg-type]
                        default_value=f.default_value,
                        deprecation_reason=f.deprecation_reason,
                    )
                    for k, f in source.fields.items()
                },
            )
        if isinstance(source, GraphQLInterfaceType | GraphQLUnionType):
            raise ValueError(f"{source.name}: abstract types are not supported")
        assert isinstance(source, GraphQLObjectType)
        keep = selected.get(source.name)
        if not keep:
            raise ValueError(f"{source.name} is reached but nothing is selected on it")
        return GraphQLObjectType(
            source.name,
            lambda: {name: field(source.fields[name]) for name in keep},
        )

    def field(f: GraphQLField) -> GraphQLField:
        return GraphQLField(
            wrap(f.type),  # type: ignore[arg-type]
            args={
                k: GraphQLArgument(
                    wrap(a.type),  # type: ignore[arg-type]
                    default_value=a.default_value,
                    deprecation_reason=a.deprecation_reason,
                )
                for k, a in f.args.items()
            },
            deprecation_reason=f.deprecation_reason,
        )

    query = named(schema.query_type.name)  # type: ignore[union-attr]
    mutation = named(schema.mutation_type.name)  # type: ignore[union-attr]
    pruned = GraphQLSchema(query=query, mutation=mutation)  # type: ignore[arg-type]
    for kind in list(built.values()):
        get_named_type(kind)  # every lazily built type is resolved by print_schema
    return pruned


def pruned_sdl(spec_dir: Path, version: str) -> str:
    """The vendored text for ``version``: a header naming the source, then the SDL."""
    source = shopify_schema_file(spec_dir, version)
    texts = list(documents(version).all().values())
    sdl = print_schema(prune(shopify_schema(spec_dir, version), texts))
    header = (
        f"# Shopify Admin GraphQL API {version}: the types and fields reached by the\n"
        "# documents in integrations/shopify_queries.py, pruned from the published schema\n"
        f"# {source.name} (its source and licence: shared/reference/api-specs/README.md).\n"
        "# Generated by `python -m integrations.contracts.prune`; do not edit by hand.\n"
    )
    return header + sdl + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, default=default_spec_dir())
    args = parser.parse_args(argv)
    spec_dir = require(args.specs)
    VENDORED.mkdir(exist_ok=True)
    for version in SUPPORTED_VERSIONS:
        text = pruned_sdl(spec_dir, version)
        path = vendored_path(version)
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(VENDORED.parents[1])}: {len(text)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
