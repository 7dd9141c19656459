"""IntentClassifier honours the scikit-learn estimator contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from nlu.classifier import IntentClassifier
from nlu.tokens import SpacyLemmatizer

TEXTS = [
    "where is my order",
    "track my parcel",
    "has my package shipped",
    "hello there",
    "hi",
    "good morning",
    "cancel my order",
    "please cancel it",
    "I want to cancel",
]
LABELS = ["track", "track", "track", "hi", "hi", "hi", "cancel", "cancel", "cancel"]


@pytest.fixture(scope="module")
def fitted() -> IntentClassifier:
    return IntentClassifier().fit(TEXTS, LABELS)


def test_fit_returns_self_and_sets_sorted_classes() -> None:
    clf = IntentClassifier()
    assert clf.fit(TEXTS, LABELS) is clf
    assert list(clf.classes_) == ["cancel", "hi", "track"]


def test_predict_proba_has_a_row_per_text_and_a_column_per_class(fitted: IntentClassifier) -> None:
    proba = fitted.predict_proba(["where is my parcel", "hey", "cancel please"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_columns_follow_classes(fitted: IntentClassifier) -> None:
    proba = fitted.predict_proba(["hello there"])
    assert fitted.classes_[proba.argmax()] == "hi"
    assert list(fitted.predict(["track my parcel please"])) == ["track"]


def test_unfitted_model_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        IntentClassifier().predict_proba(["hi"])


def test_params_round_trip_through_clone() -> None:
    clf = IntentClassifier(C=3.0, model="svc", lemmatize=False)
    assert clone(clf).get_params() == clf.get_params()


def test_calibrated_svm_variant_gives_probabilities() -> None:
    clf = IntentClassifier(model="svc", C=1.0).fit(TEXTS * 2, LABELS * 2)
    proba = clf.predict_proba(["where is my order"])
    assert proba.shape == (1, 3)
    assert clf.classes_[proba.argmax()] == "track"


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="model must be"):
        IntentClassifier(model="forest").fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="two classes"):
        IntentClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(TypeError):
        IntentClassifier().fit("not a list", LABELS)


def test_lemmatizer_maps_word_forms_and_never_pickles_spacy() -> None:
    lem = SpacyLemmatizer()
    assert lem.transform(["I ordered two shirts"]) == ["i order two shirt"]
    assert "_nlp_cache" not in lem.__getstate__()


def test_small_batches_take_a_fast_path_with_the_same_probabilities(
    fitted: IntentClassifier,
) -> None:
    texts = ["where is my parcel?", "HELLO!!", "", "zzz qqq", "annulez ma commande"]
    np.testing.assert_allclose(
        fitted.predict_proba(texts), fitted.pipeline_.predict_proba(texts), atol=1e-5
    )
    assert "_fast_cache" not in fitted.__getstate__()


@pytest.mark.parametrize("labels", [LABELS, ["track"] * 3 + ["other"] * 6])
def test_naive_bayes_blend_is_folded_into_the_linear_model(labels: list[str]) -> None:
    texts = ["where is my parcel?", "HELLO!!", "", "cancel it now"]
    plain = IntentClassifier().fit(TEXTS, labels)
    blended = IntentClassifier(nb_weight=0.5, temperature=2.0).fit(TEXTS, labels)
    assert not np.allclose(plain.predict_proba(texts), blended.predict_proba(texts))
    np.testing.assert_allclose(
        blended.predict_proba(texts), blended.pipeline_.predict_proba(texts), atol=1e-5
    )
    proba = blended.predict_proba(["where is my order"])
    assert blended.classes_[proba.argmax()] == "track"


def test_naive_bayes_blend_equals_the_log_space_mean() -> None:
    from sklearn.naive_bayes import MultinomialNB

    clf = IntentClassifier(nb_weight=0.3, nb_alpha=0.1, temperature=1.5).fit(TEXTS, LABELS)
    plain = IntentClassifier().fit(TEXTS, LABELS)
    features = plain.pipeline_.named_steps["features"]
    nb = MultinomialNB(alpha=0.1).fit(features.transform(TEXTS), LABELS)
    texts = ["track my parcel", "hi there"]
    x = features.transform(texts)
    z = (
        plain.pipeline_.named_steps["clf"].decision_function(x) + 0.3 * nb.predict_log_proba(x)
    ) / 1.5
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(texts), expected, atol=1e-5)
