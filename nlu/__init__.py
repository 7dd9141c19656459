"""Natural-language understanding: clean a message, classify its intent, find entities.

The server uses :class:`nlu.engine.NLU` only (see that module's docstring for the
stable API). Modules, one job each:

- ``catalogue``   the intent names (``INTENTS``) and ``OUT_OF_SCOPE``
- ``cleaning``    ``clean(text, channel)``: HTML, quoted history, signatures, Unicode
- ``entities``    ``extract(text)``: e-mail, order and tracking numbers
- ``tokens``      spaCy lemmas as a scikit-learn transformer (lexicon, ask view)
- ``lexicon``     shop synonyms as one concept; upset cues (``data/lexicon.yml``)
- ``reading``     a message cut into sentences and clauses that ask or tell
- ``classifier``  ``IntentClassifier``, the scikit-learn estimator
- ``reader``      the second stage: each unit scored, the asks blended in
- ``asks``        ``Ask`` and the asks of a message, in order
- ``acts``        dialogue acts: names, data files, ``Act``
- ``augment``     compositional "backstory + ask" training examples
- ``decision``    threshold and margin: when to escalate
- ``registry``    versioned, checksummed skops model files and CURRENT
- ``dataset``     training data (YAML per intent, JSON Lines)
- ``train``       cross-validated training and operating point
- ``evaluation``, ``report``, ``benchmark``   scoring, HTML report, CLINC150
- ``retrieval``   answers from the shop's help-center articles (docs/helpcenter.md)
- ``ask_evaluation``   scoring asks, paraphrases and acts (``heldout_asks``, ``dev_asks``)
- ``commands``    ``chatbot train | classify | evaluate``
- ``errors``      ``NLUError`` and its subclasses

Nothing is imported here, so ``import nlu.commands`` stays cheap for the CLI.
"""
