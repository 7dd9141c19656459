"""A retrieval index over help-center articles: which article answers a question, and
which passage of it.

Text goes through the same spaCy pipeline as the intent classifier (blank English with
lookup lemmas, :func:`nlu.tokens.load_spacy`); stop words and punctuation are dropped, so
"do you sell gift cards?" becomes ``sell gift card``. Each passage is indexed with its
article's title, labels and its heading; an article scores as its best passage, and that
passage is the one returned. The ranking library is ``bm25s`` (BM25, chosen over
scikit-learn TF-IDF on the tuning questions: docs/benchmarks.md), or TF-IDF on request.
Articles are ranked by their BM25 score (as a share of the best one) plus
``char_weight`` times the cosine of character n-grams (3 to 5, scikit-learn TF-IDF) of
the same lemmas: they catch the word forms lemmas miss ("delivery" and "deliver",
"washable" and "wash"). ``Hit.score`` stays the BM25 score, which the confidence reads.

Refreshing: :meth:`ArticleIndex.upsert` and :meth:`ArticleIndex.remove` re-tokenize only
the articles that changed and rebuild the ranking matrices from the cached tokens (a few
milliseconds for a few hundred articles). The index is a plain object: the server swaps a
holder to the rebuilt one, so a question never meets a half-built index.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlu.retrieval.passages import ArticleLike, Passage, split_article

__all__ = ["RANKERS", "Analyzer", "ArticleIndex", "Hit", "Retrieval"]

RANKERS = ("bm25", "tfidf")


class Analyzer:
    """Content lemmas of texts: spaCy's lookup lemmas, lower-cased, stop words and
    punctuation dropped. The pipeline is built once, on first use."""

    def __init__(self, nlp: Any | None = None) -> None:
        self._nlp = nlp

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        nlp = self._pipeline()
        out = []
        for doc in nlp.pipe(list(texts), batch_size=256):
            out.append(
                [
                    t.lemma_.lower()
                    for t in doc
                    if not (t.is_stop or t.is_punct or t.is_space or t.lower_ in _EXTRA_STOP)
                    and t.lemma_.strip()
                ]
            )
        return out

    def _pipeline(self) -> Any:
        if self._nlp is None:
            from nlu.tokens import load_spacy

            self._nlp = load_spacy("en", lemmatize=True)
        return self._nlp


# Words a customer writes around any question that say nothing about which article.
_EXTRA_STOP = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "please",
        "regards",
        "cheers",
        "best",
        "kind",
        "team",
        "sir",
        "madam",
        "want",
        "like",
        "know",
        "tell",
        "ask",
        "question",
        "wonder",
        "wondering",
        "help",
        "'s",
        "n't",
    ]
)


@dataclass(frozen=True)
class Hit:
    """One article for a question: its score, and its passage that answers best."""

    article: ArticleLike
    passage: Passage
    score: float  # BM25 of the article (the ranking adds the character n-grams' cosine)


@dataclass(frozen=True)
class Retrieval:
    """What the index found for one question, with what the confidence model reads."""

    question: str
    tokens: tuple[str, ...]  # the question's content lemmas
    hits: tuple[Hit, ...]  # best first, one per article
    idf: dict[str, float]  # of the question's tokens; unknown words get the highest
    article_tokens: dict[str, frozenset[str]]  # per hit article: every token it holds
    title_tokens: dict[str, frozenset[str]]
    passage_tokens: dict[str, frozenset[str]]  # per hit article: its best passage's tokens

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class ArticleIndex:
    """Articles by passage, ranked with BM25 (``bm25s``) or TF-IDF (scikit-learn).

    Args:
        ranker: ``"bm25"`` or ``"tfidf"``.
        analyzer: the tokenizer (shared between indexes to load spaCy once).
    """

    def __init__(
        self,
        *,
        ranker: str = "bm25",
        analyzer: Analyzer | None = None,
        title_weight: int = 2,
        passage_weight: float = 0.0,
        char_weight: float = 2.0,
    ) -> None:
        if ranker not in RANKERS:
            raise ValueError(f"ranker must be one of {RANKERS}")
        self.ranker = ranker
        self.title_weight = title_weight
        self.passage_weight = passage_weight
        self.char_weight = char_weight
        self._chars: Any = None
        self._article_tokens: dict[str, list[str]] = {}
        self.analyzer = analyzer or Analyzer()
        self._articles: dict[str, ArticleLike] = {}
        self._passages: dict[str, list[Passage]] = {}
        self._passage_tokens: dict[str, list[list[str]]] = {}
        self._title_tokens: dict[str, frozenset[str]] = {}
        self._rows: list[tuple[str, int]] = []  # (article id, passage index) per matrix row
        self._model: Any = None
        self._idf: dict[str, float] = {}
        self._max_idf = 0.0

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def articles(self) -> list[ArticleLike]:
        return list(self._articles.values())

    def article(self, article_id: str) -> ArticleLike | None:
        return self._articles.get(article_id)

    def passages(self, article_id: str) -> list[Passage]:
        return list(self._passages.get(article_id, ()))

    def copy(self, analyzer: Analyzer | None = None) -> ArticleIndex:
        """A new index over the same articles and cached tokens (nothing re-tokenized), to
        refresh while this one keeps answering; ``analyzer`` tokenizes what changes."""
        other = ArticleIndex(
            ranker=self.ranker,
            analyzer=analyzer or self.analyzer,
            title_weight=self.title_weight,
            passage_weight=self.passage_weight,
            char_weight=self.char_weight,
        )
        other._articles = dict(self._articles)
        other._passages = dict(self._passages)
        other._passage_tokens = dict(self._passage_tokens)
        other._title_tokens = dict(self._title_tokens)
        other._article_tokens = dict(self._article_tokens)
        other._fit()
        return other

    # --- building ----------------------------------------------------------------

    def build(self, articles: Iterable[ArticleLike]) -> ArticleIndex:
        """Index exactly these articles (drafts are the caller's to leave out)."""
        self._articles, self._passages, self._passage_tokens = {}, {}, {}
        self._title_tokens, self._article_tokens = {}, {}
        self._add(list(articles))
        self._fit()
        return self

    def upsert(self, articles: Iterable[ArticleLike]) -> None:
        """Add new articles and replace changed ones; the others keep their tokens."""
        self._add(list(articles))
        self._fit()

    def remove(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            for table in (self._articles, self._passages, self._passage_tokens, self._title_tokens,
                          self._article_tokens):  # fmt: skip
                table.pop(str(article_id), None)  # type: ignore[attr-defined]
        self._fit()

    def _add(self, articles: list[ArticleLike]) -> None:
        texts: list[str] = []
        spans: list[tuple[ArticleLike, list[Passage]]] = []
        for article in articles:
            passages = split_article(article) or [Passage(article.id, 0, "", "")]
            spans.append((article, passages))
            texts.append(article.title)
            texts.append(" ".join(article.labels))
            texts.extend(f"{p.heading}\n{p.text}" for p in passages)
        tokens = iter(self.analyzer(texts))
        for article, passages in spans:
            title, labels = next(tokens), next(tokens)
            self._articles[article.id] = article
            self._passages[article.id] = passages
            self._title_tokens[article.id] = frozenset(title)
            self._passage_tokens[article.id] = [next(tokens) for _ in passages]
            # The article as a whole: its title (twice: it says what the article is
            # about), its labels and every passage.
            self._article_tokens[article.id] = (
                title * self.title_weight
                + labels
                + [t for d in self._passage_tokens[article.id] for t in d]
            )

    def _fit(self) -> None:
        self._order = list(self._article_tokens)
        # Passage rows grouped by article, in the articles' order; each has one at least.
        self._rows = [(a, i) for a in self._order for i in range(len(self._passage_tokens[a]))]
        sizes = [len(self._passage_tokens[a]) for a in self._order]
        self._starts = np.cumsum([0, *sizes[:-1]]) if sizes else np.zeros(0, dtype=int)
        self._id_rank = np.argsort(np.argsort(np.array(self._order, dtype=str)))
        # An article's opening passage answers its title: it is ranked with the title's words.
        docs = [
            self._passage_tokens[a][i] + (list(self._title_tokens[a]) if i == 0 else [])
            for a, i in self._rows
        ]
        df: Counter[str] = Counter()
        for article_id in self._order:
            df.update(set(self._article_tokens[article_id]))
        n = len(self._articles)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 0.0
        self._model = _fit_ranker(self.ranker, docs) if docs else None
        self._article_model = (
            _fit_ranker(self.ranker, [self._article_tokens[a] for a in self._order])
            if self._order
            else None
        )
        self._chars = (
            _fit_chars([self._article_tokens[a] for a in self._order])
            if self._order and self.char_weight
            else None
        )

    # --- querying ----------------------------------------------------------------

    def search(self, question: str, k: int = 5) -> Retrieval:
        """The ``k`` best articles for ``question``, each with its best passage."""
        tokens = tuple(dict.fromkeys(self.analyzer([question])[0]))
        idf = {t: self._idf.get(t, self._max_idf) for t in tokens}
        if self._model is None or not tokens:
            return Retrieval(question, tokens, (), idf, {}, {}, {})
        passage_scores = _scores(self.ranker, self._model, list(tokens))  # one per row
        score = _scores(self.ranker, self._article_model, list(tokens))  # one per article
        if self.passage_weight:
            score = score + self.passage_weight * np.maximum.reduceat(passage_scores, self._starts)
        similar = _char_similarity(self._chars, list(tokens), len(self._order))
        total = score / (score.max() or 1.0) + self.char_weight * similar
        ranked = np.lexsort((self._id_rank, -total))[:k]  # ties: by article id
        hits = tuple(self._hit(int(i), score, passage_scores) for i in ranked if score[i] > 0)
        return Retrieval(
            question,
            tokens,
            hits,
            idf,
            {h.article.id: frozenset(self._article_tokens[h.article.id]) for h in hits},
            {h.article.id: self._title_tokens[h.article.id] for h in hits},
            {h.article.id: frozenset(self._passage_tokens[h.article.id][h.passage.index])
             for h in hits},
        )  # fmt: skip

    def _hit(self, i: int, score: np.ndarray, passage_scores: np.ndarray) -> Hit:
        """The ``i``-th article with its best passage (the first of equals)."""
        article_id = self._order[i]
        start, size = int(self._starts[i]), len(self._passage_tokens[article_id])
        best = int(np.argmax(passage_scores[start : start + size]))
        return Hit(self._articles[article_id], self._passages[article_id][best], float(score[i]))


def _fit_ranker(ranker: str, docs: list[list[str]]) -> Any:
    if ranker == "bm25":
        import logging

        import bm25s

        # bm25s logs every build at DEBUG; the server's log is not the place for it.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        model = bm25s.BM25(method="lucene")
        model.index(docs, show_progress=False)
        return model
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    return vectorizer, vectorizer.fit_transform(docs)


def _scores(ranker: str, model: Any, tokens: list[str]) -> np.ndarray:
    if ranker == "bm25":
        return np.asarray(model.get_scores(tokens), dtype=float)
    vectorizer, matrix = model
    query = vectorizer.transform([tokens])
    return np.asarray((matrix @ query.T).toarray()).ravel()


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _fit_chars(docs: list[list[str]]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    # By column: a question's few n-grams pick their columns (a hundredth of a product).
    return vectorizer, vectorizer.fit_transform([" ".join(d) for d in docs]).tocsc()


def _char_similarity(chars: Any, tokens: list[str], n: int) -> np.ndarray:
    if chars is None:
        return np.zeros(n)
    vectorizer, matrix = chars
    query = vectorizer.transform([" ".join(tokens)])
    return np.asarray(matrix[:, query.indices] @ query.data).ravel()
