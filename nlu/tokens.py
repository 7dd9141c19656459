"""spaCy tokenisation and lookup lemmas, as a scikit-learn transformer.

A blank English pipeline with the lookup lemmatizer: no statistical model to
download, fast enough for the request path, and it maps "ordered"/"orders" to
"order" so a few examples per intent go further. The spaCy object is built
lazily, once per transformer, and never saved: a model file holds only the
hyper-parameters and loading it rebuilds the pipeline.

Two optional steps on top (both off by default, so older model files read
as before): a concept table (:mod:`nlu.lexicon`) that rewrites synonyms to the
word the training data uses, and ``view="asks"``, which keeps only the
sentences and clauses that ask something (:mod:`nlu.reading`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

from nlu.lexicon import ConceptMap
from nlu.reading import Unit, segment

__all__ = ["VIEWS", "Reading", "SpacyLemmatizer", "load_spacy"]

VIEWS = ("all", "asks")


@functools.lru_cache(maxsize=4)
def load_spacy(lang: str = "en", lemmatize: bool = True) -> Any:
    """A blank spaCy pipeline for ``lang``, with lookup lemmas if asked (offline).

    One per process and setting: the intent and the act model share it (each loading its
    own cost `chatbot classify` two seconds); the pipeline only reads, never learns.
    """
    import logging

    import spacy

    nlp = spacy.blank(lang)
    if lemmatize:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        # initialize() reports its steps at INFO; they are noise in our logs.
        logger = logging.getLogger("spacy")
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            nlp.initialize()
        finally:
            logger.setLevel(level)
    return nlp


@dataclass(frozen=True, slots=True)
class Reading:
    """One text read once: its lemmas, the lemmas of its ask units, and its units."""

    lemmas: str
    asks: str
    units: tuple[Unit, ...]


class SpacyLemmatizer(TransformerMixin, BaseEstimator):
    """Map texts to space-joined lower-case lemmas (or tokens).

    Parameters
    ----------
    lang : str, default="en"
        Language of the blank spaCy pipeline.
    lemmatize : bool, default=True
        Lookup lemmas; False gives lower-case tokens only.
    batch_size : int, default=256
        Batch size for ``nlp.pipe``.
    lexicon : dict of str to str, default=None
        Phrase → concept word (:mod:`nlu.lexicon`), applied to the lemmas.
    view : {"all", "asks"}, default="all"
        The whole text, or only its ask units (questions and requests; empty
        when the text asks nothing explicitly).
    """

    def __init__(
        self,
        lang: str = "en",
        lemmatize: bool = True,
        batch_size: int = 256,
        lexicon: Mapping[str, str] | None = None,
        view: str = "all",
    ) -> None:
        self.lang = lang
        self.lemmatize = lemmatize
        self.batch_size = batch_size
        self.lexicon = lexicon
        self.view = view

    def fit(self, X: Iterable[str], y: Any = None) -> SpacyLemmatizer:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")
        self._nlp()
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        texts = [x if isinstance(x, str) else str(x) for x in X]
        if self.view == "all" and not self.lexicon:
            nlp = self._nlp()
            if self.lemmatize:
                docs = nlp.pipe(texts, batch_size=self.batch_size)
                return [" ".join(t.lemma_.lower() for t in doc if not t.is_space) for doc in docs]
            docs = nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
            return [" ".join(t.lower_ for t in doc if not t.is_space) for doc in docs]
        readings = self.read(texts, units=self.view == "asks")
        return [r.asks if self.view == "asks" else r.lemmas for r in readings]

    def read(self, texts: Iterable[str], units: bool = True) -> list[Reading]:
        """Each text's lemmas (concepts applied), its ask units' lemmas and its units.

        One spaCy pass serves both views; ``units=False`` skips the segmentation.
        """
        nlp = self._nlp()
        concepts = self._concepts()
        pipe = nlp.pipe if self.lemmatize else nlp.tokenizer.pipe
        readings = []
        for doc in pipe(
            [x if isinstance(x, str) else str(x) for x in texts], batch_size=self.batch_size
        ):
            lemmas = [_lemma(t, self.lemmatize) for t in doc if not t.is_space]
            all_view = " ".join(concepts.apply(lemmas) if concepts else lemmas)
            if not units:
                readings.append(Reading(all_view, "", ()))
                continue
            parts = tuple(segment(doc))
            ask_lemmas: list[str] = []
            for unit in parts:
                if unit.ask:
                    words = unit.lemmas if self.lemmatize else unit.tokens
                    ask_lemmas.extend(concepts.apply(words) if concepts else words)
            readings.append(Reading(all_view, " ".join(ask_lemmas), parts))
        return readings

    def render(self, lemmas: Iterable[str]) -> str:
        """A view string from lemmas already read (concepts applied), as :meth:`read` makes."""
        concepts = self._concepts()
        lemmas = list(lemmas)
        return " ".join(concepts.apply(lemmas) if concepts else lemmas)

    def _nlp(self) -> Any:
        nlp = self.__dict__.get("_nlp_cache")
        if nlp is None:
            nlp = load_spacy(self.lang, self.lemmatize)
            self.__dict__["_nlp_cache"] = nlp
        return nlp

    def _concepts(self) -> ConceptMap | None:
        if not self.lexicon:
            return None
        cache = self.__dict__.get("_concepts_cache")
        if cache is None:
            nlp = self._nlp()

            def lemmas(phrase: str) -> list[str]:
                return [_lemma(t, self.lemmatize) for t in nlp(phrase) if not t.is_space]

            cache = ConceptMap(self.lexicon, lemmas)
            self.__dict__["_concepts_cache"] = cache
        return cache

    def __getstate__(self) -> dict[str, Any]:
        # The spaCy pipeline is rebuilt on first use; it must never reach a model file.
        state = dict(super().__getstate__())
        state.pop("_nlp_cache", None)
        state.pop("_concepts_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Model files from before the lexicon and the ask view lack these two.
        state.setdefault("lexicon", None)
        state.setdefault("view", "all")
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


def _lemma(token: Any, lemmatize: bool) -> str:
    return str(token.lemma_).lower() if lemmatize else str(token.lower_)
