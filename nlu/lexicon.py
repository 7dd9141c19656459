"""Shop words: one concept, many words (``nlu/data/lexicon.yml``).

Customers say reimbursement, rebate, compensation or "my money back" for a
refund, receipt or "the bill" for an invoice. The training data cannot hold
every phrasing, so the word features see each such word or phrase as the word
the training data uses ("refund"): :class:`ConceptMap` rewrites a lemma
sequence, longest phrase first. The concept table is a model hyper-parameter
(``IntentClassifier(lexicon=...)``), saved inside the model file, so a model
always reads as it was trained; the character n-grams still see the words as
written.

The same file lists the words and emoticons that show a customer is upset
(:func:`upset`), read when the NLU loads: a rule, not a model feature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.errors import DataError

__all__ = ["DEFAULT_LEXICON", "ConceptMap", "Lexicon", "load_lexicon", "upset_matcher"]

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "lexicon.yml"


@dataclass(frozen=True)
class Lexicon:
    """The lexicon file: ``concepts`` (phrase → concept word) and ``upset`` cues."""

    concepts: dict[str, str]
    upset: tuple[str, ...]


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read a lexicon file.

    Raises:
        DataError: missing, not YAML, or not the documented shape.
    """
    file = Path(path) if path else DEFAULT_LEXICON
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"{file}: cannot read the lexicon: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataError(f"{file}: expected 'concepts:' and 'upset:' sections")
    raw_concepts = doc.get("concepts") or {}
    raw_upset = doc.get("upset") or []
    if not isinstance(raw_concepts, dict) or not isinstance(raw_upset, list):
        raise DataError(f"{file}: 'concepts' must map words to lists, 'upset' must be a list")
    concepts: dict[str, str] = {}
    for concept, phrases in raw_concepts.items():
        if not isinstance(concept, str) or not isinstance(phrases, list):
            raise DataError(f"{file}: concept {concept!r} must have a list of phrases")
        for phrase in phrases:
            if not isinstance(phrase, str) or not phrase.strip():
                raise DataError(f"{file}: concept {concept!r} has a non-text phrase {phrase!r}")
            key = " ".join(phrase.lower().split())
            if concepts.get(key, concept) != concept:
                raise DataError(f"{file}: {phrase!r} is listed under two concepts")
            concepts[key] = concept
    if not all(isinstance(u, str) and u.strip() for u in raw_upset):
        raise DataError(f"{file}: 'upset' must be a list of words, phrases or emoticons")
    return Lexicon(concepts, tuple(" ".join(u.lower().split()) for u in raw_upset))


class ConceptMap:
    """Rewrites lemma sequences with the concepts of a lexicon, longest phrase first.

    ``lemmatize`` turns a phrase into the lemmas the pipeline produces, so the
    table matches what the tokenizer sees ("sent out" → ("send", "out")).
    """

    def __init__(
        self, concepts: Mapping[str, str], lemmatize: Callable[[str], Sequence[str]]
    ) -> None:
        self.table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase, concept in concepts.items():
            key = tuple(lemmatize(phrase))
            if key:
                self.table[key] = tuple(lemmatize(concept))
        self.longest = max((len(k) for k in self.table), default=0)
        self.firsts = frozenset(k[0] for k in self.table)

    def apply(self, lemmas: Sequence[str]) -> list[str]:
        """``lemmas`` with every listed phrase replaced by its concept's lemmas."""
        if not self.table:
            return list(lemmas)
        out: list[str] = []
        i, n = 0, len(lemmas)
        while i < n:
            if lemmas[i] in self.firsts:
                for size in range(min(self.longest, n - i), 0, -1):
                    concept = self.table.get(tuple(lemmas[i : i + size]))
                    if concept is not None:
                        out.extend(concept)
                        i += size
                        break
                else:
                    out.append(lemmas[i])
                    i += 1
            else:
                out.append(lemmas[i])
                i += 1
        return out


_WORD = re.compile(r"[\w'’&-]+")


def upset_matcher(cues: Iterable[str]) -> Callable[[str], bool]:
    """A test for upset cues: emoticons and emoji anywhere, words and phrases whole."""
    symbols = []
    phrases = []
    for cue in cues:
        if _WORD.fullmatch(cue.replace(" ", "")) and any(c.isalnum() for c in cue):
            phrases.append(r"\b" + r"\s+".join(re.escape(w) for w in cue.split()) + r"\b")
        else:
            symbols.append(re.escape(cue))
    words = re.compile("|".join(phrases), re.IGNORECASE) if phrases else None
    marks = re.compile("|".join(symbols)) if symbols else None

    def test(text: str) -> bool:
        if marks is not None and marks.search(text):
            return True
        if words is not None and words.search(text):
            return True
        # Shouting: "!!!" or several words in capitals.
        if "!!!" in text or "?!" in text or "!?" in text:
            return True
        caps = [w for w in _WORD.findall(text) if len(w) >= 3 and w.isupper() and w.isalpha()]
        return len(caps) >= 3

    return test
