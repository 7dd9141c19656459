"""Answering customers from the shop's help-center articles.

- ``passages``    an article's HTML split into passages under their headings
- ``question``    what of a message is searched (cleaned, no greeting or sign-off lines)
- ``index``       ``ArticleIndex``: spaCy lemmas, BM25 (bm25s) or TF-IDF, refreshable
- ``confidence``  features of a retrieval, the logistic answer model, the threshold
- ``answers``     ``HelpCenterAnswers``: the facade the server uses (see its docstring)
- ``route``       ``route(parse, answer)``: the script, the article, or a person
- ``questions``   tuning and held-out question sets
- ``evaluation``, ``report``   ``chatbot evaluate --articles``

Nothing is imported here, so ``import nlu.retrieval.route`` stays cheap.
"""
