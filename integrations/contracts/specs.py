"""Finding and reading the vendors' published specs (``../shared/reference/api-specs``).

Only the contract checks and their tests read these files; the product never does at
run time (the sandboxes carry what they need, see :mod:`integrations.contracts.prune`).
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from graphql import GraphQLSchema

__all__ = [
    "SpecsMissing",
    "default_spec_dir",
    "load_json",
    "load_spec",
    "load_yaml",
    "require",
    "shopify_schema",
    "shopify_schema_file",
]

REPO = Path(__file__).resolve().parents[2]


class SpecsMissing(Exception):
    """The spec folder (or one file in it) is not where it was looked for."""


def default_spec_dir() -> Path:
    """``../shared/reference/api-specs`` beside the repository (as on CI and in a clone
    next to the shared folder)."""
    return REPO.parent / "shared" / "reference" / "api-specs"


def require(spec_dir: Path) -> Path:
    """``spec_dir`` if it holds the specs, else SpecsMissing with what to do."""
    if not (spec_dir / "README.md").is_file():
        raise SpecsMissing(
            f"no published API specs at {spec_dir}: the contract checks need the folder "
            "shared/reference/api-specs (beside the repository, as on CI); "
            "pass --specs PATH to use another place"
        )
    return spec_dir


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, with the YAML 1.1 ``=`` value tag read as the string it is meant to be
    (Zendesk's OAS writes ``change: =`` in an example)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: node.value)


def load_yaml(path: Path) -> Any:
    # The UPS spec has a TAB inside a plain scalar (Tracking.yaml line 185), which
    # strict YAML refuses: tabs are never meaningful in these files.
    text = path.read_text(encoding="utf-8-sig").replace("\t", "  ")
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


@functools.cache
def load_spec(path: Path) -> Any:
    """A spec or fixture file, read once per process."""
    if not path.is_file():
        raise SpecsMissing(f"missing spec file {path}")
    return load_json(path) if path.suffix == ".json" else load_yaml(path)


def shopify_schema_file(spec_dir: Path, version: str) -> Path:
    """The published Admin schema of ``version``: SDL, or gzipped introspection JSON."""
    base = spec_dir / "shopify"
    for candidate in (
        base / f"admin_schema_{version}.graphql",
        base / f"admin_schema_{version}.json.gz",
    ):
        if candidate.is_file():
            return candidate
    raise SpecsMissing(f"no published Shopify Admin schema for {version} in {base}")


@functools.cache
def shopify_schema(spec_dir: Path, version: str) -> GraphQLSchema:
    """The full published Admin schema of ``version`` (built once per process).

    Built with ``assume_valid``: the published schemas break a rule graphql-core checks
    (deprecated fields implementing undeprecated interface fields), which says nothing
    about the documents validated against them.
    """
    from graphql import build_ast_schema, build_client_schema, parse  # only the checks need it

    path = shopify_schema_file(spec_dir, version)
    if path.suffix == ".graphql":
        document = parse(path.read_text(encoding="utf-8"), no_location=True)
        return build_ast_schema(document, assume_valid=True, assume_valid_sdl=True)
    data = json.loads(gzip.decompress(path.read_bytes()))
    return build_client_schema(data.get("data", data), assume_valid=True)
