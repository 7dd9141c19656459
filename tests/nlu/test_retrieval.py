"""Help-center answers: passages, the index, the answer model and its threshold, the
question sets, and `chatbot evaluate --articles`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chatserver.cli import main
from integrations.articles import Article
from integrations.articles_folder import ArticleFolder
from nlu.errors import DataError
from nlu.retrieval.answers import DEMO_ARTICLES, HelpCenterAnswers, default_model
from nlu.retrieval.confidence import choose_threshold, features
from nlu.retrieval.index import Analyzer, ArticleIndex
from nlu.retrieval.passages import split_article
from nlu.retrieval.question import question_text
from nlu.retrieval.questions import load_questions


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="module")
def demo() -> list[Article]:
    return ArticleFolder(DEMO_ARTICLES).load()


@pytest.fixture(scope="module")
def answers(demo, analyzer) -> HelpCenterAnswers:
    return HelpCenterAnswers.build(demo, analyzer=analyzer)


def article(id_: str, title: str, body: str, labels: tuple[str, ...] = ()) -> Article:
    return Article(id=id_, title=title, body_html=body, labels=labels, url=f"https://x/{id_}")


# --- passages -------------------------------------------------------------------


def test_an_article_is_split_at_its_headings_with_lists_and_tables_kept_whole():
    body = (
        "<p>Lead &amp; intro.</p><h2>Options</h2><ul><li>Standard: <strong>$5</strong></li>"
        "<li>Express</li></ul><h2>Sizes</h2><table><tr><th>size</th><th>bust</th></tr>"
        "<tr><td>S</td><td>34 in</td></tr></table><script>alert(1)</script>"
    )
    passages = split_article(article("1", "T", body))
    assert [(p.heading, p.text) for p in passages] == [
        ("", "Lead & intro."),
        ("Options", "- Standard: $5\n- Express"),
        ("Sizes", "size | bust\nS | 34 in"),
    ]


def test_a_long_section_is_split_into_its_paragraphs():
    long = " ".join(["word"] * 80)
    passages = split_article(article("1", "T", f"<h2>H</h2><p>{long}</p><p>{long}</p>"))
    assert [(p.heading, p.words) for p in passages] == [("H", 80), ("H", 80)]


def test_broken_or_empty_html_gives_what_can_be_read():
    assert split_article(article("1", "T", "")) == []
    assert split_article(article("1", "T", "<p>unclosed <b>bold"))[0].text == "unclosed bold"


# --- the index ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("do you sell gift cards?", "gift-cards"),
        ("is the merino scarf machine washable?", "merino-wool-care"),
        ("do you have a store in Berlin?", "showroom-and-stores"),
        ("can I pay with PayPal?", "payment-methods"),
    ],
)
def test_the_issues_questions_find_their_article_and_passage(answers, demo, question, slug):
    found = answers.answer(question)
    expected = next(a for a in demo if a.slug == slug)
    assert found is not None and found.article_id == expected.id
    assert found.answered, f"{question!r}: confidence {found.confidence} < {found.threshold}"
    assert found.url == expected.url and found.passage


def test_the_passage_is_the_one_that_answers(answers):
    found = answers.answer("is the merino scarf machine washable?")
    assert found.heading == "Is the merino scarf machine washable?"
    assert "wool or hand-wash cycle" in found.passage


@pytest.mark.parametrize(
    "question",
    ["can I bring my dog to the showroom", "where is my order #1001?", "tell me a joke", "hello"],
)
def test_questions_no_article_answers_are_not_answered(answers, question):
    found = answers.answer(question)
    assert found is None or not found.answered


def test_an_email_is_cleaned_before_it_is_searched(answers):
    email = (
        "Hi, do you sell gift cards?\n\nThanks, Anna\n\n"
        "On Mon, 1 Dec 2026 at 10:00, Maison Demo <support@example.com> wrote:\n"
        "> Is the merino scarf machine washable? Yes, on the wool cycle."
    )
    assert answers.answer(email, channel="email").title == "Gift cards"


def test_upsert_and_remove_refresh_the_index(analyzer):
    index = ArticleIndex(analyzer=analyzer).build(
        [article("1", "Gift cards", "<p>We sell gift cards.</p>"),
         article("2", "Stores", "<p>One showroom in Brooklyn.</p>")]
    )  # fmt: skip
    assert index.search("do you sell gift cards").best.article.id == "1"
    index.upsert([article("2", "Stores", "<p>Gift cards are sold in the showroom too.</p>"),
                  article("3", "Vouchers", "<p>Vouchers are gift cards.</p>")])  # fmt: skip
    assert len(index) == 3
    assert {h.article.id for h in index.search("gift cards").hits} == {"1", "2", "3"}
    index.remove(["1", "3"])
    assert [h.article.id for h in index.search("gift cards").hits] == ["2"]
    assert index.search("brooklyn").hits == ()  # the old text is gone


def test_updated_answers_leave_the_serving_ones_untouched(analyzer):
    served = HelpCenterAnswers.build(
        [article("1", "Gift cards", "<p>We sell gift cards.</p>"),
         article("2", "Stores", "<p>One showroom in Brooklyn.</p>")],
        analyzer=analyzer,
    )  # fmt: skip
    other = Analyzer()
    fresh = served.updated(
        [article("3", "Parking", "<p>Park behind the showroom.</p>")], ["1"], analyzer=other
    )
    assert (len(served), len(fresh)) == (2, 2)
    assert served.index.search("gift cards").best.article.id == "1"  # as it was
    assert fresh.index.search("gift cards").hits == ()
    assert fresh.index.search("where to park").best.article.id == "3"
    assert fresh.analyzer is other and served.analyzer is analyzer
    assert fresh.model is served.model and fresh.threshold == served.threshold


def test_the_default_model_is_fitted_once_and_handed_out_as_copies(analyzer):
    first, second = default_model(analyzer), default_model(analyzer)
    assert first is not second and first.threshold == second.threshold
    first.threshold = 0.1
    assert default_model(analyzer).threshold == second.threshold


def test_character_ngrams_rank_the_article_whose_words_only_differ_in_form(analyzer, demo):
    question = "can I use two discount codes on one order"  # "codes" vs "code", "discount"
    lemmas_only = ArticleIndex(analyzer=analyzer, char_weight=0).build(demo)
    assert lemmas_only.search(question).best.article.title == "Do you have a student discount?"
    fused = ArticleIndex(analyzer=analyzer).build(demo)
    best = fused.search(question).best
    assert best.article.title == "Using discount and promo codes"
    assert best.score == max(
        h.score for h in lemmas_only.search(question).hits if h.article.id == best.article.id
    )


def test_the_opening_passage_answers_the_articles_title(answers):
    answer = answers.answer("which payment methods do you accept?")
    assert answer.heading == "" and answer.passage.startswith("You can pay with:")


def test_greeting_and_sign_off_lines_are_not_searched():
    email = (
        "Good afternoon,\n\ndo you have a store in Berlin? I am visiting in May.\n\nThanks\nLukas"
    )
    assert question_text(email, "email") == "do you have a store in Berlin? I am visiting in May."
    assert question_text("Hi, do you sell gift cards?", "chat") == "Hi, do you sell gift cards?"
    assert (
        question_text("Dear team,\n\nmy order 1001 is late\n\nJo", "email")
        == "my order 1001 is late"
    )


def test_an_empty_index_and_unknown_words_find_nothing(analyzer):
    empty = ArticleIndex(analyzer=analyzer).build([])
    assert empty.search("gift cards").hits == ()
    index = ArticleIndex(analyzer=analyzer).build([article("1", "Gift cards", "<p>Yes.</p>")])
    found = index.search("zzyzx qwerty")
    assert found.hits == () and features(found)[0] == 0.0


def test_tfidf_is_the_alternative_ranker(analyzer, demo):
    index = ArticleIndex(ranker="tfidf", analyzer=analyzer).build(demo)
    assert index.search("do you sell gift cards?").best.article.title == "Gift cards"
    with pytest.raises(ValueError):
        ArticleIndex(ranker="magic")


# --- threshold and model ----------------------------------------------------------


def test_the_threshold_is_the_lowest_from_which_precision_stays_above_target():
    proba = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    right = np.array([1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
    assert choose_threshold(proba, right, 0.9, min_answered=1) == 0.41  # answers the top 7
    assert choose_threshold(proba, np.zeros(10, dtype=int), 0.9) == 1.0  # never answer


def test_too_few_answers_to_judge_do_not_set_the_threshold():
    proba = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    top_one_wrong = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    assert choose_threshold(proba, top_one_wrong, 0.8, min_answered=1) == 1.0
    assert choose_threshold(proba, top_one_wrong, 0.8, min_answered=5) == 0.0


def test_a_given_threshold_overrides_the_models(demo, analyzer):
    strict = HelpCenterAnswers.build(demo, analyzer=analyzer, threshold=1.0)
    assert not strict.answer("do you sell gift cards?").answered
    with pytest.raises(ValueError):
        HelpCenterAnswers(strict.index, strict.model, threshold=1.5)


# --- question sets ---------------------------------------------------------------


KEYS = {"gift-cards": "360000101206", "360000101206": "360000101206", "stores": "9"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_questions_name_articles_by_id_slug_list_or_null(tmp_path):
    path = write(tmp_path, (
        "- {question: 'gift cards?', article: gift-cards}\n"
        "- {question: by id, article: 360000101206}\n"
        "- {question: either, article: [gift-cards, stores]}\n"
        "- {question: none, article: null, channel: email}\n"
    ))  # fmt: skip
    qs = load_questions(path, KEYS)
    assert [sorted(q.articles) for q in qs] == [
        ["360000101206"],
        ["360000101206"],
        ["360000101206", "9"],
        [],
    ]
    assert qs[3].channel == "email" and not qs[3].answerable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {question: x, article: nope}\n", "unknown article 'nope'"),
        ("- {question: x}\n", "'article' is required"),
        ("- {question: x, article: null, channel: fax}\n", "channel"),
        ("{question: x}\n", "expected a list"),
        ("- [1, 2]\n", "item 1"),
        ("- {question: '  ', article: null}\n", "empty question"),
        ("- {question: x, article: [}\n", "not valid YAML"),
    ],
)
def test_bad_question_files_are_named_errors(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_questions(write(tmp_path, text), KEYS)


def test_the_tuning_set_names_only_demo_articles(demo):
    keys = {k: a.id for a in demo for k in a.keys}
    qs = load_questions(Path("nlu/data/articles_tune.yml"), keys)
    assert len(qs) >= 250 and sum(not q.answerable for q in qs) >= 50


# --- the command -----------------------------------------------------------------


def test_evaluate_articles_scores_held_out_questions_and_writes_the_report(tmp_path, capsys):
    heldout = write(tmp_path, (
        "- {question: 'do you sell gift cards?', article: gift-cards}\n"
        "- {question: can I pay with paypal, article: payment-methods}\n"
        "- {question: is the scarf ok in the washing machine, article: merino-wool-care}\n"
        "- {question: can I bring my dog, article: null}\n"
    ))  # fmt: skip
    index = tmp_path / "report" / "index.html"
    status = main(["evaluate", "--articles", str(heldout), "--report", str(tmp_path / "report")])
    out, _ = capsys.readouterr()
    assert status == 0
    assert "held-out, ranker bm25): 4 questions, 3 with an answering article, 1 without" in out
    assert "ranker tfidf" in out and "<- threshold" in out
    page = (tmp_path / "report" / "articles.html").read_text()
    assert "<svg" in page and "precision" in page
    assert not index.exists()  # the intent report is written by plain `evaluate --report`

    status = main(["evaluate", "--articles", str(heldout), "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert status == 0 and set(figures) == {"bm25", "tfidf"}
    assert figures["bm25"]["n"] == 4 and 0.0 <= figures["bm25"]["precision"] <= 1.0


def test_evaluate_articles_names_a_bad_question_file(tmp_path, capsys):
    bad = write(tmp_path, "- {question: x, article: no-such-article}\n")
    assert main(["evaluate", "--articles", str(bad)]) == 2
    assert "unknown article 'no-such-article'" in capsys.readouterr().err


def test_evaluate_articles_lists_the_articles(capsys):
    assert main(["evaluate", "--articles", "--list"]) == 0
    out = capsys.readouterr().out
    assert "360000101206\tgift-cards\tPayments, pricing & discounts\tGift cards" in out
