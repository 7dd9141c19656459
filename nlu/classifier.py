"""The intent classifier: a scikit-learn estimator over cleaned texts.

Lemmatised word n-grams carry the meaning, character n-grams carry typos and
word forms the lemma table misses; a linear model over both is fast (well
under a millisecond a message) and its probabilities are good enough to
threshold. ``IntentClassifier`` wraps that pipeline so it honours the
estimator contract on its own: hyper-parameters in ``__init__``, ``fit``
returning ``self``, ``classes_`` ordering ``predict_proba`` columns and
``NotFittedError`` before ``fit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from nlu.tokens import SpacyLemmatizer

__all__ = ["IntentClassifier", "Part"]

# A part of a message already read: (raw text, its lemmas, the lemmas of its ask units).
Part = tuple[str, Sequence[str], Sequence[str]]

_MODELS = ("lr", "svc")


class IntentClassifier(ClassifierMixin, BaseEstimator):
    """Word + character TF-IDF and a linear model, over spaCy lemmas.

    Parameters
    ----------
    C : float, default=20.0
        Inverse regularisation of the linear model. High: the features are many
        and each intent has few, short examples.
    model : {"lr", "svc"}, default="lr"
        Logistic regression (probabilities as they come) or a linear SVM with
        sigmoid calibration.
    lemmatize : bool, default=True
        Word features over spaCy lookup lemmas rather than lower-case tokens.
    word_ngram_range, char_ngram_range : tuple of int
        n-gram ranges of the word and ``char_wb`` vectorizers.
    char_min_df : int, default=2
        Character n-grams seen in fewer training texts are dropped (noise, size).
    class_weight : {"balanced", None}, default="balanced"
        Intents come with unequal numbers of examples.
    nb_weight : float, default=0.0
        Weight of a multinomial naive Bayes over the same TF-IDF features,
        blended with the logistic regression in log space (``model="lr"`` only;
        0 turns it off). The blend is itself linear in the features, so it is
        folded into the regression's ``coef_``/``intercept_``: prediction costs
        the same. On CLINC150 val, 0.1 (with ``nb_alpha=0.003``,
        ``temperature=2``) gains ~0.6 pt; see docs/benchmarks.md.
    nb_alpha : float, default=0.003
        Additive smoothing of that naive Bayes.
    temperature : float, default=1.0
        The blended scores are divided by it before the softmax (only with
        ``nb_weight`` > 0): the blend is sharper than the regression alone.
    lexicon : dict of str to str, default=None
        Phrase → concept word (:mod:`nlu.lexicon`) applied to the lemmas of the
        word blocks: "reimbursement" reads as "refund". Saved with the model.
    ask_view : bool, default=False
        Add a third block: word n-grams over the lemmas of the text's ask units
        only (:mod:`nlu.reading`), so a question or request can outweigh the
        backstory around it. Its own vocabulary, so its own weights.

    Examples
    --------
    >>> clf = IntentClassifier().fit(["where is my order", "hello there"], ["track", "hi"])
    >>> list(clf.classes_)
    ['hi', 'track']
    """

    def __init__(
        self,
        C: float = 20.0,
        model: str = "lr",
        lemmatize: bool = True,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        char_min_df: int = 2,
        class_weight: str | None = "balanced",
        max_iter: int = 3000,
        nb_weight: float = 0.0,
        nb_alpha: float = 0.003,
        temperature: float = 1.0,
        lexicon: dict[str, str] | None = None,
        ask_view: bool = False,
    ) -> None:
        self.C = C
        self.model = model
        self.lemmatize = lemmatize
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_min_df = char_min_df
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.nb_weight = nb_weight
        self.nb_alpha = nb_alpha
        self.temperature = temperature
        self.lexicon = lexicon
        self.ask_view = ask_view

    def fit(self, X: Sequence[str], y: Sequence[str]) -> IntentClassifier:
        """Learn from texts ``X`` and their intents ``y``; returns ``self``."""
        if self.model not in _MODELS:
            raise ValueError(f"model must be one of {_MODELS}, got {self.model!r}")
        texts = _texts(X)
        labels = np.asarray(y)
        if len(texts) != len(labels):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} labels")
        if len(np.unique(labels)) < 2:
            raise ValueError("need at least two classes to train an intent classifier")
        min_df = self.char_min_df if len(texts) >= 10 * self.char_min_df else 1
        blocks: list[tuple[str, Any]] = [
            ("words", self._word_block("all")),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(self.char_ngram_range),
                    sublinear_tf=True,
                    min_df=min_df,
                    dtype=np.float32,
                ),
            ),
        ]
        if self.ask_view:
            blocks.append(("asks", self._word_block("asks")))
        pipeline = Pipeline(
            [("features", FeatureUnion(blocks)), ("clf", self._linear_model(labels))]
        )
        if self.nb_weight and self.model == "lr":
            features = pipeline.named_steps["features"].fit_transform(texts)
            clf = pipeline.named_steps["clf"].fit(features, labels)
            _fold_naive_bayes(
                clf, features, labels, self.nb_weight, self.nb_alpha, self.temperature
            )
        else:
            pipeline.fit(texts, labels)
        self.pipeline_ = pipeline
        self.classes_ = pipeline.classes_
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``classes_`` order."""
        check_is_fitted(self, "pipeline_")
        texts = _texts(X)
        return self.read_proba(texts)[0]

    def read_proba(self, X: Sequence[str]) -> tuple[np.ndarray, list[Any] | None]:
        """Probabilities, and each text's units (:mod:`nlu.reading`) when they came for free.

        The numpy path segments the texts for the ask view anyway; the engine
        reuses those units instead of reading the texts a second time. None
        when this model has no ask view or no numpy path.
        """
        check_is_fitted(self, "pipeline_")
        texts = _texts(X)
        fast = self._fast()
        if fast is not None:
            return fast.read_proba(texts)
        proba: np.ndarray = self.pipeline_.predict_proba(texts)
        return proba, None

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """The most probable class of each text."""
        proba = self.predict_proba(X)
        labels: np.ndarray = self.classes_[np.argmax(proba, axis=1)]
        return labels

    def predict_parts(self, parts: Sequence[Part]) -> np.ndarray:
        """Probabilities of parts of texts already read (:meth:`read_proba` units).

        A part is (raw text, its lemmas, the lemmas of its ask units): the
        engine scores each sentence of a message from the message's own
        reading, without tokenising it again. Same features as reading the
        part's text afresh, up to how spaCy tokenises a text's edges.
        """
        check_is_fitted(self, "pipeline_")
        fast = self._fast()
        if fast is None:
            return self.predict_proba([raw for raw, _, _ in parts])
        views = [
            (raw, fast.lemmas.render(lemmas), fast.lemmas.render(asks))
            for raw, lemmas, asks in parts
        ]
        return fast.score(views)

    def _fast(self) -> _FastLogistic | None:
        cache = self.__dict__.get("_fast_cache")
        if cache is None:
            cache = _FastLogistic.compile(self.pipeline_) or False
            self.__dict__["_fast_cache"] = cache
        return cache or None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_fast_cache", None)  # derived from pipeline_, rebuilt on first use
        return state

    def _word_block(self, view: str) -> Pipeline:
        lexicon = dict(self.lexicon) if self.lexicon else None
        return Pipeline(
            [
                ("lemmas", SpacyLemmatizer(lemmatize=self.lemmatize, lexicon=lexicon, view=view)),
                (
                    "tfidf",
                    TfidfVectorizer(
                        ngram_range=tuple(self.word_ngram_range),
                        sublinear_tf=True,
                        token_pattern=r"(?u)\b\w+\b|[?!]",
                        dtype=np.float32,
                    ),
                ),
            ]
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Model files from before the lexicon and the ask view lack these two.
        state.setdefault("lexicon", None)
        state.setdefault("ask_view", False)
        super().__setstate__(state)

    def _linear_model(self, labels: np.ndarray) -> Any:
        if self.model == "lr":
            return LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=self.max_iter
            )
        # Calibration needs a few examples of each class in every fold.
        counts = np.unique(labels, return_counts=True)[1]
        folds = int(max(2, min(3, counts.min())))
        return CalibratedClassifierCV(
            LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter),
            method="sigmoid",
            cv=folds,
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def _fold_naive_bayes(
    clf: LogisticRegression,
    features: Any,
    labels: np.ndarray,
    weight: float,
    alpha: float,
    temperature: float,
) -> None:
    """Blend a multinomial NB into the fitted ``clf``, in place.

    softmax((lr + w * log NB) / T) only needs the NB's joint log-likelihood,
    which is linear in the features: coef_ and intercept_ absorb it, so
    predict_proba, the numpy fast path and the model file stay as they are.
    """
    nb = MultinomialNB(alpha=alpha).fit(features, labels)
    coef, intercept = nb.feature_log_prob_, nb.class_log_prior_
    if clf.coef_.shape[0] == 1:  # binary: one row of log-odds for classes_[1]
        coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    clf.coef_ = (clf.coef_ + weight * coef) / temperature
    clf.intercept_ = (clf.intercept_ + weight * intercept) / temperature


class _FastLogistic:
    """The fitted TF-IDF blocks + logistic regression, as plain numpy.

    Same analyzers, vocabularies, idf and coefficients as the pipeline, so the
    same probabilities; without the input checks that cost ~1 ms a call, and
    with one spaCy pass per text for all word blocks (which makes it faster
    than the pipeline for large batches too, so it serves every call).
    """

    def __init__(
        self,
        lemmas: Any,
        parts: list[tuple[str, Any, dict[str, int], np.ndarray, int]],
        coef_t: np.ndarray,
        intercept: np.ndarray,
    ) -> None:
        self.lemmas = lemmas
        self.parts = parts  # (source, analyzer, vocabulary, idf, column offset)
        self.coef_t = coef_t
        self.intercept = intercept
        self.units = any(source == "asks" for source, *_ in parts)

    @classmethod
    def compile(cls, pipeline: Pipeline) -> _FastLogistic | None:
        clf = pipeline.named_steps["clf"]
        if not isinstance(clf, LogisticRegression) or len(clf.classes_) < 3:
            return None
        parts = []
        lemmatizers = []
        offset = 0
        for _, block in pipeline.named_steps["features"].transformer_list:
            if isinstance(block, Pipeline):
                lemmatizer, vectorizer = block.named_steps["lemmas"], block.named_steps["tfidf"]
                lemmatizers.append(lemmatizer)
                source = getattr(lemmatizer, "view", "all")
            else:
                vectorizer, source = block, "raw"
            if not vectorizer.sublinear_tf or vectorizer.norm != "l2" or not vectorizer.use_idf:
                return None
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            parts.append((source, vectorizer.build_analyzer(), vectorizer.vocabulary_, idf, offset))
            offset += len(idf)
        # One reading serves every word block only if they read alike.
        settings = {(lem.lemmatize, repr(getattr(lem, "lexicon", None))) for lem in lemmatizers}
        if len(settings) != 1:
            return None
        coef_t = np.ascontiguousarray(clf.coef_.T, dtype=np.float64)
        return cls(lemmatizers[0], parts, coef_t, np.asarray(clf.intercept_, dtype=np.float64))

    def read_proba(self, texts: list[str]) -> tuple[np.ndarray, list[Any] | None]:
        readings = self.lemmas.read(texts, units=self.units)
        views = [(t, r.lemmas, r.asks) for t, r in zip(texts, readings, strict=True)]
        return self.score(views), [r.units for r in readings] if self.units else None

    def score(self, views: list[tuple[str, str, str]]) -> np.ndarray:
        """Probabilities of texts given as (raw text, lemma view, ask view)."""
        from scipy.sparse import csr_matrix

        data: list[np.ndarray] = []
        columns: list[np.ndarray] = []
        indptr = [0]
        for raw, lemmas, asks in views:
            sources = {"raw": raw, "all": lemmas, "asks": asks}
            size = 0
            for source, analyzer, vocabulary, idf, offset in self.parts:
                counts: dict[int, int] = {}
                for gram in analyzer(sources[source]):
                    j = vocabulary.get(gram)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                values = (1.0 + np.log(tf)) * idf[index]
                values /= np.sqrt(values @ values)
                data.append(values)
                columns.append(index + offset)
                size += len(index)
            indptr.append(indptr[-1] + size)
        features = csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(columns) if columns else np.zeros(0, dtype=np.intp),
                np.asarray(indptr),
            ),
            shape=(len(views), self.coef_t.shape[0]),
        )
        # A sparse product is scipy's own single-threaded loop, not a threaded BLAS
        # gemv (on a busy machine, thread wake-ups are what makes p99).
        scores = np.asarray(features @ self.coef_t) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores


def _texts(X: Sequence[str]) -> list[str]:
    if isinstance(X, str):
        raise TypeError("X must be a sequence of texts, not a single string")
    return [x if isinstance(x, str) else str(x) for x in X]
