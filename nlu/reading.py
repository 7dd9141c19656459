"""Reading a message as the customer wrote it: sentences and clauses, asks and backstory.

A long message tells a story and asks something; the story's words ("charged",
"no confirmation email") must not outvote the ask ("has it shipped?"). This
module cuts a spaCy ``Doc`` into units and marks which of them ask:

* **Units** end at sentence punctuation (``.?!;``), at a line break, and at a
  comma or a conjunction ("and", "but", "also", "so"…) that is followed by an ask
  ("…, and how long do refunds take?", "…, cancel it if you can't ship") or
  by a greeting, thanks or goodbye ("thank you, bye"). spaCy's rule-based
  ``sentencizer`` splits at the same punctuation but not at line breaks or
  clauses, and chat messages often have no punctuation at all.
* **An ask** is a question (a ``?``, a question word, "can you", "is it"…), a
  request ("please", "I want / need / would like", "let me know", "wondering")
  or an imperative (the unit starts with a request verb: "cancel it", "send me").
  Anything else is backstory or a statement of the problem.
* **Conditional**: a request that is not a question and holds "if", "unless",
  "otherwise" ("cancel it if you can't ship"): it depends on the answer to
  something else.

These are grammar cues, not topic words: which intent a unit carries is the
classifier's job. The classifier gets the lemmas of the ask units as a feature
block of their own (``SpacyLemmatizer(view="asks")``), and the engine classifies
each ask unit to return the asks of a message in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Unit", "is_ask", "segment"]


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence or clause: character span in the text, its tokens and cues."""

    start: int
    end: int
    tokens: tuple[str, ...]  # lower-case token texts
    lemmas: tuple[str, ...]  # lower-case lemmas (tokens when the pipeline has none)
    ask: bool
    question: bool
    conditional: bool
    social: bool  # only greetings, thanks, goodbyes and fillers
    anaphoric: bool = False  # only generic words: refers to what came before


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_END = _words(". ? ! ; … ?! !? ... ..")
_JOINS = _words(", and but also so plus then - – — & or")
_FILLERS = _words(
    """so and but also ok okay k oh well plus then btw anyway anyways just um uh ps alright
    right yes yeah yep no nope sorry fine sure , - – — & : hmm"""
)
_SOCIAL = _words(
    """hi hey hello hiya heya hallo yo morning evening afternoon good dear greetings thanks
    thank thx ty tnx thankyou cheers appreciate appreciated much very lot so bye goodbye cya
    later see ya you u all the a for that's thats it help guys team everyone there again in
    advance ! . ,"""
)
_SOCIAL_HEADS = _words(
    """hi hey hello hiya heya hallo morning evening afternoon dear greetings thanks thank thx
    ty tnx thankyou cheers bye goodbye cya"""
)
_WH = _words(
    """what where when why how which who whom whose what's whats where's wheres when's whens
    how's hows wat wher whn wen"""
)
_AUX = _words(
    """can could would will do does did is are was were has have had should shall may might
    must ca wo cant can't wont won't isnt isn't arent aren't doesnt doesn't didnt didn't
    hasnt hasn't havent haven't"""
)
_SUBJECTS = _words(
    """you u ya i we it my our the this that there they your he she someone anyone anybody
    somebody me us these those its"""
)
_PLEASE = _words("please pls plz plse pleas kindly pleaseee plss")
# First verb of an imperative request ("cancel it", "send me the invoice"), in base form.
_REQUEST_VERBS = _words(
    """cancel send resend refund return change update tell let help check give email mail
    ship stop reset fix process confirm issue look find track exchange replace delete remove
    unsubscribe add switch call contact get show explain sort pause swap make arrange
    correct credit reverse void undo hold keep put forward transfer connect escalate
    investigate chase advise inform clarify provide share reply respond answer notify
    reimburse deliver redeliver resolve handle close open reactivate activate deactivate
    edit modify amend cancell cancle canel"""
)
# "I want", "I'd like", "we need": a subject, maybe an adverb, then one of these.
_WANT_SUBJECTS = _words("i we i'd id im i'm")
_WANT = _words("want need wanna wish hope hoping like love wonder")
_BETWEEN = _words("'d would will also really just actually still now kindly do 'm am")
_WANT_PHRASES = (
    ("let", "me", "know"),
    ("tell", "me"),
    ("is", "it", "possible"),
    ("any", "chance"),
    ("any", "way"),
    ("wondering",),
    ("would", "appreciate"),
    ("would", "be", "grateful"),
    ("how", "about"),
    ("what", "about"),
    ("need", "to", "know"),
    ("want", "to", "know"),
    ("looking", "for"),
)
_WANT_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _WANT_PHRASES:
    _WANT_PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)
# A statement that adds a point is a second ask: "Also, one plate is missing."
_ADDITIVE = _words("also plus additionally btw ps p.s. furthermore moreover another")
_ABBREVIATIONS = _words("no nr num ref nos tel ph ord inv")
_CONDITIONS = _words("if unless otherwise else")
# Lemmas that say nothing of a topic by themselves: an ask made only of these
# ("where are they?", "when is it coming?", "can you send a new one?") refers to
# what was said before it, and is read with it.
_GENERIC = _words(
    """be do have get go come send take happen work fix help know tell let need want see
    check look find make give say think hear sort deal handle can could would will should
    may might must shall ca wo not n't no what where when why how which who whom whose i
    you u me my mine your we us our they them their it its this that these those there
    here he she him her one ones some any all new other another more much many long
    now yet still already again just also really even ever soon today anymore then a an
    the to of for on in at by with from about up out off over into and or but so if as
    please pls plz thing stuff something anything everything ok okay oh well wait sure
    do does did is are was were am 's 're 'm 've 'd 'll s re m ve d ll someone somebody
    anyone anybody normal wrong right fine possible true correct advise explain assist
    look"""
)
_PRONOUNS = _words("it them this that one these those ones")


def segment(doc: Any) -> list[Unit]:
    """Cut a spaCy ``Doc`` (or any sequence of spaCy-like tokens) into units, in order."""
    tokens = list(doc)
    groups: list[list[Any]] = []
    current: list[Any] = []
    for i, token in enumerate(tokens):
        if token.is_space:
            if "\n" in token.text and current:
                groups.append(current)
                current = []
            continue
        low = token.lower_
        if current and low in _JOINS and _starts_new_unit(tokens, i, current):
            groups.append(current)
            current = [] if low == "," else [token]
            continue
        current.append(token)
        if low in _END or (token.is_punct and low and set(low) <= set(".?!…")):
            if not _more_end_punct(tokens, i) and not _abbreviation(tokens, i):
                groups.append(current)
                current = []
        elif "\n" in token.whitespace_:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return _units(_merge_wordless(groups))


def is_ask(words: Sequence[str], lemmas: Sequence[str] | None = None) -> bool:
    """Whether a unit's lower-case words read as a question or a request."""
    return _cues(tuple(words), tuple(lemmas or words))[0]


def _starts_new_unit(tokens: list[Any], i: int, current: list[Any]) -> bool:
    """A join at ``i`` starts a new unit when an ask or a social phrase follows,
    or when what came before was only a greeting or thanks."""
    rest = [t for t in tokens[i + 1 : i + 8] if not t.is_space]
    while rest and rest[0].lower_ in _JOINS:
        rest = rest[1:]
    if not rest:
        return False
    words = tuple(t.lower_ for t in rest)
    lemmas = tuple(t.lemma_.lower() or t.lower_ for t in rest)
    before = [t.lower_ for t in current]
    if _all_social(before) or words[0] in _SOCIAL_HEADS:
        return True
    if len([t for t in current if t.is_alpha]) < 2:  # "so, where is it" stays one unit
        return False
    ask, question, _ = _cues(words, lemmas, start_only=True)
    return ask or question


def _more_end_punct(tokens: list[Any], i: int) -> bool:
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return nxt is not None and not nxt.is_space and nxt.lower_ in _END | {"!", "?"}


def _abbreviation(tokens: list[Any], i: int) -> bool:
    """A "." after "no", "nr", "ref"… before a number: "order no. 1001" is one unit."""
    if tokens[i].lower_ != "." or i == 0 or i + 1 >= len(tokens):
        return False
    return tokens[i - 1].lower_ in _ABBREVIATIONS and tokens[i + 1].like_num


def _merge_wordless(groups: list[list[Any]]) -> list[list[Any]]:
    """A unit without a letter or digit (":(", "!!", "...") joins its neighbour."""
    merged: list[list[Any]] = []
    for group in groups:
        if not group:
            continue
        if (merged and not any(t.is_alpha or t.like_num for t in group)) or (
            merged and not any(t.is_alpha or t.like_num for t in merged[-1])
        ):
            merged[-1].extend(group)
        else:
            merged.append(list(group))
    return merged


def _units(groups: list[list[Any]]) -> list[Unit]:
    units = []
    for group in groups:
        words = tuple(t.lower_ for t in group)
        lemmas = tuple((t.lemma_ or t.text).lower() for t in group)
        ask, question, conditional = _cues(words, lemmas)
        units.append(
            Unit(
                start=group[0].idx,
                end=group[-1].idx + len(group[-1].text),
                tokens=words,
                lemmas=lemmas,
                ask=ask,
                question=question,
                conditional=conditional,
                social=_all_social(list(words)),
                anaphoric=_anaphoric(words, lemmas),
            )
        )
    return units


def _anaphoric(words: Sequence[str], lemmas: Sequence[str]) -> bool:
    """Only generic words, or a request verb and a pronoun ("cancel it", "chase them")."""
    content = [
        (i, w) for i, w in enumerate(lemmas) if any(c.isalpha() for c in w) and w not in _GENERIC
    ]
    if not content:
        return True
    if len(content) == 1:
        i, lemma = content[0]
        follows = words[i + 1] if i + 1 < len(words) else ""
        return lemma in _REQUEST_VERBS and words[i] == lemma and follows in _PRONOUNS
    return False


def _all_social(words: Sequence[str]) -> bool:
    if len(words) > 12 or not any(w in _SOCIAL_HEADS for w in words):
        return False  # greetings and thanks are short
    alpha = [w for w in words if any(c.isalpha() for c in w)]
    return (
        bool(alpha)
        and all(w in _SOCIAL or w in _FILLERS for w in alpha)
        and any(w in _SOCIAL_HEADS for w in alpha)
    )


def _cues(
    words: tuple[str, ...], lemmas: tuple[str, ...], start_only: bool = False
) -> tuple[bool, bool, bool]:
    """(ask, question, conditional) for one unit's words."""
    k = 0
    while k < len(words) and (words[k] in _FILLERS or words[k] in _SOCIAL_HEADS):
        k += 1
    additive = not start_only and any(w in _ADDITIVE for w in words[: k + 1])
    head = words[k:]
    head_lemmas = lemmas[k:]
    if not head:
        return False, False, False
    first = head[0]
    question = (not start_only and "?" in words) or first in _WH
    question = question or (first in _AUX and len(head) > 1 and head[1] in _SUBJECTS)
    j = 1 if first in _PLEASE else 0
    # An imperative starts with a request verb in its base form: "send me", not "sent".
    imperative = (
        j < len(head_lemmas) and head_lemmas[j] in _REQUEST_VERBS and head[j] == head_lemmas[j]
    )
    # "return label is broken": a noun, not a request.
    if imperative and j + 1 < len(head) and head[j + 1] in {"is", "was", "label", "policy"}:
        imperative = False
    window = head if not start_only else head[:5]
    please = any(w in _PLEASE for w in window)
    want = _wants(window) or _has_any(window, _WANT_PHRASES_BY_FIRST)
    ask = question or imperative or please or want or additive
    conditional = (
        not start_only
        and ask
        and "?" not in words
        and not (first in _WH or first in _AUX)
        and (any(w in _CONDITIONS for w in words) or _has(words, ("in", "case")))
    )
    return ask, question, conditional


def _wants(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        if word not in _WANT_SUBJECTS:
            continue
        rest = list(words[i + 1 : i + 5])
        polite = word in {"i'd", "id"}
        while rest and rest[0] in _BETWEEN:
            polite = polite or rest[0] in {"'d", "would"}
            rest.pop(0)
        if rest and rest[0] in _WANT:
            # "i like it" is not a request; "i would like" and "i'd like" are.
            if rest[0] in {"like", "love"} and not polite:
                continue
            return True
    return False


def _has_any(words: Sequence[str], by_first: dict[str, list[tuple[str, ...]]]) -> bool:
    for i, word in enumerate(words):
        for phrase in by_first.get(word, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                return True
    return False


def _has(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))
