"""Question sets for the help-center answers: each customer question with the articles
that answer it, or none (format: docs/helpcenter.md, "Question sets").

``nlu/data/articles_tune.yml`` fits and tunes; ``nlu/data/articles_heldout.yml`` (another
hand) is only ever scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.errors import DataError

__all__ = ["DEFAULT_HELDOUT", "DEFAULT_TUNING", "Question", "load_questions"]

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_TUNING = DATA / "articles_tune.yml"
DEFAULT_HELDOUT = DATA / "articles_heldout.yml"


@dataclass(frozen=True)
class Question:
    text: str
    articles: frozenset[str]  # article ids that answer it; empty: no article does
    channel: str = "chat"

    @property
    def answerable(self) -> bool:
        return bool(self.articles)


def load_questions(path: Path | str, keys: dict[str, str] | None = None) -> list[Question]:
    """Read a question set. ``keys`` maps every accepted article name (id or slug) to the
    article id; with it, an unknown name is an error naming the question.

    Raises:
        DataError: missing or malformed file, or an unknown article.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, list):
        raise DataError(f"{path}: expected a list of {{question, article}}")
    out: list[Question] = []
    for n, item in enumerate(raw, 1):
        where = f"{path.name} item {n}"
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise DataError(f"{where}: expected {{question: text, article: id|slug|list|null}}")
        if "article" not in item:
            raise DataError(f"{where}: 'article' is required (null when no article answers)")
        names = _names(item["article"], where)
        channel = str(item.get("channel") or "chat")
        if channel not in ("chat", "email"):
            raise DataError(f"{where}: channel must be chat or email")
        if keys is not None:
            unknown = [name for name in names if name not in keys]
            if unknown:
                raise DataError(f"{where}: unknown article {unknown[0]!r}")
            names = [keys[name] for name in names]
        text = item["question"].strip()
        if not text:
            raise DataError(f"{where}: empty question")
        out.append(Question(text, frozenset(names), channel))
    return out


def _names(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, Iterable) and not isinstance(value, dict):
        names = [str(v) for v in value if v is not None]
        if names:
            return names
    raise DataError(f"{where}: 'article' must be an id, a slug, a list of them, or null")
