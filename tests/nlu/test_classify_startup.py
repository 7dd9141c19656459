"""`chatbot classify` starts without loading what it does not use: one spaCy pipeline
shared by the intent and the act model, the act model only for --expecting, and one
audit of each model file (skops' loads() refuses untrusted types by itself)."""

from __future__ import annotations

from nlu import registry
from nlu.engine import NLU
from nlu.tokens import load_spacy


def test_the_intent_and_act_models_share_one_spacy_pipeline(model_dir):
    load_spacy.cache_clear()
    nlu = NLU.load(model_dir)
    assert nlu.acts is not None
    assert nlu.parse("yes please", expecting="yes_no").act is not None
    info = load_spacy.cache_info()
    assert (info.misses, info.currsize) == (1, 1)


def test_classify_without_expecting_skips_the_act_model(model_dir):
    nlu = NLU.load(model_dir, acts=False)
    assert nlu.acts is None
    assert nlu.parse("where is my order").intent == "track_order"


def test_a_model_file_is_audited_once(model_dir, monkeypatch):
    import skops.io as sio

    def audited_again(*args, **kwargs):
        raise AssertionError("get_untrusted_types: loads() already audits the file")

    monkeypatch.setattr(sio, "get_untrusted_types", audited_again)
    model, meta = registry.load(model_dir)
    assert list(model.classes_) == list(meta.classes)
