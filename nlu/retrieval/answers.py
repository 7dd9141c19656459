"""Answering a customer's question from the help center, or declining to.

Stable API for the server (wiring: docs/helpcenter.md)::

    from nlu.retrieval.answers import HelpCenterAnswers

    answers = HelpCenterAnswers.build(articles)             # fitted on the bundled tuning set
    a = answers.answer("is the merino scarf machine washable?", channel="chat")
    a.answered                  # confidence >= threshold: reply with it
    a.title, a.url, a.heading, a.passage, a.confidence, a.article_id
    answers.upsert(changed); answers.remove(ids)            # refresh in place (offline tools)
    fresh = answers.updated(changed, ids, analyzer=Analyzer())  # a new one (the server swaps)

``answer`` returns None when no article shares a word with the question.

Threads: an index tokenizes with its :class:`Analyzer` (a spaCy pipeline), which is not
made to be used from two threads at once. The server builds in its executor with an
analyzer the serving index does not use (``chatserver.ops.helpcenter``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlu.retrieval.confidence import AnswerModel, choose_threshold, cross_validated, labels
from nlu.retrieval.index import Analyzer, ArticleIndex, Retrieval
from nlu.retrieval.passages import ArticleLike
from nlu.retrieval.question import question_text
from nlu.retrieval.questions import DEFAULT_TUNING, Question, load_questions

__all__ = ["DEMO_ARTICLES", "ArticleAnswer", "HelpCenterAnswers", "fit_answer_model"]

DEMO_ARTICLES = (
    Path(__file__).resolve().parents[2] / "integrations" / "sandbox" / "helpcenter_articles"
)


@dataclass(frozen=True)
class ArticleAnswer:
    """The best article for a question, the passage to show, and how sure we are."""

    article_id: str
    title: str
    url: str | None
    heading: str  # the passage's heading ("" for the article's opening)
    passage: str  # plain text; list items start with "- "
    score: float
    confidence: float
    threshold: float

    @property
    def answered(self) -> bool:
        return self.confidence >= self.threshold


class HelpCenterAnswers:
    """An :class:`ArticleIndex` with its :class:`AnswerModel`."""

    def __init__(self, index: ArticleIndex, model: AnswerModel, threshold: float | None = None):
        self.index = index
        self.model = model
        self.threshold = model.threshold if threshold is None else threshold
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must lie in [0, 1]")

    @classmethod
    def build(
        cls,
        articles: Iterable[ArticleLike],
        *,
        threshold: float | None = None,
        model: AnswerModel | None = None,
        analyzer: Analyzer | None = None,
        ranker: str = "bm25",
    ) -> HelpCenterAnswers:
        """Index ``articles``; the model is fitted on the demo help center's tuning
        questions unless given (features are scale-free, so it carries over)."""
        analyzer = analyzer or Analyzer()
        index = ArticleIndex(ranker=ranker, analyzer=analyzer).build(articles)
        return cls(index, model or default_model(analyzer, ranker), threshold)

    def answer(self, text: str, channel: str = "chat") -> ArticleAnswer | None:
        retrieval = self.index.search(question_text(text, channel))
        return self.read(retrieval)

    def read(self, retrieval: Retrieval) -> ArticleAnswer | None:
        best = retrieval.best
        if best is None:
            return None
        return ArticleAnswer(
            article_id=best.article.id,
            title=best.article.title,
            url=best.article.url,
            heading=best.passage.heading,
            passage=best.passage.text,
            score=best.score,
            confidence=round(self.model.confidence(retrieval), 4),
            threshold=self.threshold,
        )

    def __len__(self) -> int:
        return len(self.index)

    @property
    def analyzer(self) -> Analyzer:
        return self.index.analyzer

    def upsert(self, articles: Iterable[ArticleLike]) -> None:
        self.index.upsert(articles)

    def remove(self, article_ids: Iterable[str]) -> None:
        self.index.remove(article_ids)

    def updated(self, upsert: Iterable[ArticleLike] = (), remove: Iterable[str] = (), *,
                analyzer: Analyzer | None = None) -> HelpCenterAnswers:  # fmt: skip
        """New answers with these articles added or replaced and these ids removed; this
        object is left as it was (it may go on answering while the new one is built).
        Only the changed articles are tokenized, with ``analyzer``."""
        index = self.index.copy(analyzer)
        upsert, remove = list(upsert), [str(i) for i in remove]
        if remove:
            index.remove(remove)
        if upsert:
            index.upsert(upsert)
        return HelpCenterAnswers(index, self.model, self.threshold)


def fit_answer_model(index: ArticleIndex, questions: Sequence[Question], *,
                     target: float = 0.90) -> tuple[AnswerModel, dict[str, object]]:  # fmt: skip
    """Fit on every question; choose the threshold on cross-validated probabilities.
    Returns the model and the cross-validated arrays (``proba``, ``correct``)."""
    X, y = labels(index, questions)
    proba = cross_validated(X, y)
    model = AnswerModel().fit(X, y)
    model.threshold = choose_threshold(proba, y, target)
    return model, {"X": X, "proba": proba, "correct": y}


def default_model(analyzer: Analyzer | None = None, ranker: str = "bm25") -> AnswerModel:
    """The model fitted on the demo articles and ``nlu/data/articles_tune.yml`` (about a
    second the first time; later calls get a copy of it: the bundled files do not change
    while the process runs, and every help center of the process shares the fit)."""
    fitted = _FITTED.get(ranker)
    if fitted is None:
        from integrations.articles_folder import ArticleFolder

        articles = ArticleFolder(DEMO_ARTICLES).load()
        keys = {k: a.id for a in articles for k in a.keys}
        index = ArticleIndex(ranker=ranker, analyzer=analyzer or Analyzer()).build(articles)
        fitted = _FITTED[ranker] = fit_answer_model(index, load_questions(DEFAULT_TUNING, keys))[0]
    return copy.deepcopy(fitted)


# ranker -> the default fit (two threads fitting at once both fit, and one result stays)
_FITTED: dict[str, AnswerModel] = {}
