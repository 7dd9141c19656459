"""spaCy tokenisation and lookup lemmas, as a scikit-learn transformer.

A blank English pipeline with the lookup lemmatizer: no statistical model to
download, fast enough for the request path, and it maps "ordered"/"orders" to
"order" so a few examples per intent go further. The spaCy object is built
lazily, once per transformer, and never saved: a model file holds only the two
hyper-parameters and loading it rebuilds the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["SpacyLemmatizer", "load_spacy"]


def load_spacy(lang: str = "en", lemmatize: bool = True) -> Any:
    """A blank spaCy pipeline for ``lang``, with lookup lemmas if asked (offline)."""
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
    """

    def __init__(self, lang: str = "en", lemmatize: bool = True, batch_size: int = 256) -> None:
        self.lang = lang
        self.lemmatize = lemmatize
        self.batch_size = batch_size

    def fit(self, X: Iterable[str], y: Any = None) -> SpacyLemmatizer:
        self._nlp()
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        nlp = self._nlp()
        texts = [x if isinstance(x, str) else str(x) for x in X]
        if self.lemmatize:
            docs = nlp.pipe(texts, batch_size=self.batch_size)
            return [" ".join(t.lemma_.lower() for t in doc if not t.is_space) for doc in docs]
        docs = nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
        return [" ".join(t.lower_ for t in doc if not t.is_space) for doc in docs]

    def _nlp(self) -> Any:
        nlp = self.__dict__.get("_nlp_cache")
        if nlp is None:
            nlp = load_spacy(self.lang, self.lemmatize)
            self.__dict__["_nlp_cache"] = nlp
        return nlp

    def __getstate__(self) -> dict[str, Any]:
        # The spaCy pipeline is rebuilt on first use; it must never reach a model file.
        state = dict(super().__getstate__())
        state.pop("_nlp_cache", None)
        return state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
