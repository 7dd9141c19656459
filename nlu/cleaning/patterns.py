"""The table of e-mail patterns (``patterns.yaml``), validated and compiled once.

Rows are data so a shop can add its own clients and languages without code: a file of the
same shape passed to :func:`load_patterns` adds rows and header labels to the built-in ones.
Each kind of row is compiled into one alternation, so a line is tested once per kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nlu.errors import NLUError

__all__ = ["BUILTIN", "EmailPatterns", "PatternError", "default_patterns", "load_patterns"]

BUILTIN = Path(__file__).with_name("patterns.yaml")
_ROW_KINDS = ("attribution", "separators", "signatures", "valedictions", "disclaimers")
_ROW_KEYS = {"lang", "client", "re", "anchored", "case"}
_FIELDS = ("from", "sent", "to", "cc", "subject")


class PatternError(NLUError):
    """An e-mail pattern file is unreadable, malformed, or has a bad regular expression."""


@dataclass(frozen=True)
class EmailPatterns:
    """Compiled patterns; build with :func:`load_patterns` (or :func:`default_patterns`)."""

    attribution_anchored: re.Pattern[str]
    attribution_colon: re.Pattern[str]  # free rows that end in ":", tried on lines that do
    attribution_free: re.Pattern[str]  # the other free rows
    separator: re.Pattern[str]
    signature: re.Pattern[str]
    signature_cased: re.Pattern[str]
    valediction: re.Pattern[str]
    disclaimer: re.Pattern[str]
    header: re.Pattern[str]  # group "label": a known label; see header_field
    header_inline: re.Pattern[str]  # a label inside a header line's value
    header_field: Mapping[str, str]  # casefolded label -> from/sent/to/cc/subject
    languages: frozenset[str]


def load_patterns(extra: Iterable[str | Path] = (), *, builtin: bool = True) -> EmailPatterns:
    """The built-in table plus the rows of each ``extra`` file, compiled.

    Raises:
        PatternError: a file cannot be read or parsed, has an unknown key, or a row's
            regular expression does not compile. The message names the file and row.
    """
    rows: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in _ROW_KINDS}
    headers: dict[str, dict[str, list[str]]] = {}
    for path in ([BUILTIN] if builtin else []) + [Path(p) for p in extra]:
        _read(path, rows, headers)
    return _compile(rows, headers)


@cache
def default_patterns() -> EmailPatterns:
    """The built-in table, compiled once per process (immutable, so safe to share)."""
    return load_patterns()


def _read(
    path: Path,
    rows: dict[str, list[tuple[str, dict[str, Any]]]],
    headers: dict[str, dict[str, list[str]]],
) -> None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PatternError(f"cannot read e-mail patterns {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PatternError(f"{path}: expected a mapping of pattern kinds at the top level")
    unknown = set(data) - {*_ROW_KINDS, "headers"}
    if unknown:
        raise PatternError(
            f"{path}: unknown key(s) {sorted(unknown)}; known: headers, {_ROW_KINDS}"
        )
    for kind in _ROW_KINDS:
        entries = data.get(kind) or []
        if not isinstance(entries, list):
            raise PatternError(f"{path}: {kind} must be a list of rows")
        for n, row in enumerate(entries, 1):
            where = f"{path}: {kind} row {n}"
            if not isinstance(row, dict) or not isinstance(row.get("re"), str):
                raise PatternError(f"{where}: each row needs a 're' string")
            if set(row) - _ROW_KEYS:
                raise PatternError(f"{where}: unknown key(s) {sorted(set(row) - _ROW_KEYS)}")
            try:
                re.compile(row["re"])
            except re.error as exc:
                raise PatternError(f"{where}: bad regular expression: {exc}") from exc
            rows[kind].append((where, row))
    for lang, fields in (data.get("headers") or {}).items():
        if not isinstance(fields, dict) or set(fields) - set(_FIELDS):
            raise PatternError(f"{path}: headers.{lang} must map {_FIELDS} to lists of labels")
        merged = headers.setdefault(str(lang), {})
        for field, labels in fields.items():
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise PatternError(f"{path}: headers.{lang}.{field} must be a list of strings")
            merged.setdefault(field, []).extend(labels)


def _alternation(rows: list[tuple[str, dict[str, Any]]], flags: int) -> re.Pattern[str]:
    if not rows:
        return re.compile(r"(?!)")  # matches nothing
    source = "|".join(f"(?:{row['re']})" for _, row in rows)
    try:
        return re.compile(source, flags)
    except re.error as exc:  # e.g. a global inline flag inside one row
        raise PatternError(f"e-mail patterns do not combine: {exc}") from exc


def _ends_in_colon(source: str) -> bool:
    # A row ending in a bare ":" can only match a line that ends in one; testing that first
    # keeps the ~30 free-start rows (".{1,300}?…") off ordinary lines, where they are slow.
    return source.endswith(":") and not source.endswith("\\:")


def _compile(
    rows: dict[str, list[tuple[str, dict[str, Any]]]],
    headers: dict[str, dict[str, list[str]]],
) -> EmailPatterns:
    flags = re.IGNORECASE
    attribution = rows["attribution"]
    free = [r for r in attribution if not r[1].get("anchored")]
    signatures = rows["signatures"]
    field_of: dict[str, str] = {}
    for fields in headers.values():
        for field, labels in fields.items():
            for label in labels:
                field_of[" ".join(label.split()).casefold()] = field
    labels = sorted(field_of, key=len, reverse=True)  # longest first: "envoyé le" before "envoyé"
    label_re = "|".join(re.escape(x).replace(r"\ ", r"\s+") for x in labels) or "(?!)"
    langs = {str(row.get("lang", "und")) for kind in rows.values() for _, row in kind}
    return EmailPatterns(
        attribution_anchored=_alternation([r for r in attribution if r[1].get("anchored")], flags),
        attribution_colon=_alternation([r for r in free if _ends_in_colon(r[1]["re"])], flags),
        attribution_free=_alternation([r for r in free if not _ends_in_colon(r[1]["re"])], flags),
        separator=_alternation(rows["separators"], flags),
        signature=_alternation([r for r in signatures if r[1].get("case") != "sensitive"], flags),
        signature_cased=_alternation([r for r in signatures if r[1].get("case") == "sensitive"], 0),
        valediction=re.compile(
            rf"(?:{_alternation(rows['valedictions'], 0).pattern})[\s,.!:;]*", flags
        ),
        disclaimer=_alternation(rows["disclaimers"], flags),
        header=re.compile(rf"[*_\s]*(?P<label>{label_re})[*_\s]*:[*_\s]*(?P<value>.*)", flags),
        header_inline=re.compile(rf"(?<!\S)[*_]*(?P<label>{label_re})[*_]*\s*:\s", flags),
        header_field=field_of,
        languages=frozenset(langs | set(headers)),
    )
