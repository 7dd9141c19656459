"""E-mail cleaning on real reply e-mails: quotes removed, new text kept, signatures removed.

The corpus is ``tests/nlu/fixtures/email_corpus/{tune,heldout}`` (sources, licences and the
split in its README). Each e-mail is cleaned as the Zendesk channel does
(``clean(raw, "email")``) and scored against the text the customer newly wrote:

* **kept**: at least 90 % of the expected text's tokens are in the output (multiset overlap);
* **quote removed** (e-mails with quoted history): at most 2 tokens of the output are neither
  in the expected text nor in the signature, i.e. no line of the earlier message is left;
* **signature removed** (e-mails with a signature): at most a fifth of the signature's own
  tokens (those not also in the new text) are left in the output.

Tokens are NFKC-casefolded words (``\\w+``), single Han/kana characters and single symbols
(emoji), so Chinese and Japanese count like the rest. The other reply-parsing libraries can
be measured on the same e-mails (``--libs``), each given plain text (HTML turned into text
first, quote markup not interpreted).

    python -m bench.email_cleaning                 # both parts, our cleaner
    python -m bench.email_cleaning --libs --speed  # plus the libraries, plus µs per message
    python -m bench.email_cleaning --failures heldout
"""

from __future__ import annotations

import argparse
import importlib
import quopri
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = [
    "CORPUS",
    "CorpusEmail",
    "Score",
    "Summary",
    "load",
    "score",
    "summarise",
    "tokens",
]

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "nlu" / "fixtures" / "email_corpus"
PARTS = ("tune", "heldout")
KEPT_SHARE = 0.9
QUOTE_LEFTOVER = 2
SIGNATURE_LEFTOVER_SHARE = 0.2

_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+|[^\w\s]",
)


@dataclass(frozen=True)
class CorpusEmail:
    part: str
    file: str
    raw: str
    expected: str
    signature: str
    quote: bool
    lang: str
    client: str

    @property
    def is_html(self) -> bool:
        return self.file.endswith(".html")


@dataclass(frozen=True)
class Score:
    kept: bool
    quote_removed: bool | None  # None: the e-mail has no quoted history
    signature_removed: bool | None  # None: the e-mail has no signature


@dataclass(frozen=True)
class Summary:
    emails: int
    kept: int
    quotes: int
    quotes_removed: int
    signatures: int
    signatures_removed: int

    def as_row(self) -> dict[str, str]:
        def pct(a: int, b: int) -> str:
            return f"{a}/{b} ({100 * a / b:.1f} %)" if b else "-"

        return {
            "emails": str(self.emails),
            "quote removed": pct(self.quotes_removed, self.quotes),
            "new text kept": pct(self.kept, self.emails),
            "signature removed": pct(self.signatures_removed, self.signatures),
        }


def tokens(text: str) -> Counter[str]:
    """Multiset of comparable tokens (punctuation other than symbols ignored)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: Counter[str] = Counter()
    for tok in _TOKEN.findall(text):
        if len(tok) == 1 and not tok.isalnum() and unicodedata.category(tok) != "So":
            continue
        out[tok] += 1
    return out


def load(parts: Iterable[str] = PARTS, root: Path = CORPUS) -> list[CorpusEmail]:
    emails = []
    for part in parts:
        manifest = yaml.safe_load((root / part / "manifest.yaml").read_text(encoding="utf-8"))
        for entry in manifest["emails"]:
            data = (root / part / entry["file"]).read_bytes()
            if entry.get("encoding") == "quoted-printable":
                data = quopri.decodestring(data)
            emails.append(
                CorpusEmail(
                    part=part,
                    file=entry["file"],
                    raw=data.decode("utf-8"),
                    expected=entry["expected"],
                    signature=entry.get("signature") or "",
                    quote=bool(entry["quote"]),
                    lang=entry["lang"],
                    client=entry["client"],
                )
            )
    return emails


def score(output: str, email: CorpusEmail) -> Score:
    got, want, sig = tokens(output), tokens(email.expected), tokens(email.signature)
    kept = sum((want & got).values()) >= KEPT_SHARE * sum(want.values())
    quote_removed = None
    if email.quote:
        leftover = got - want - sig
        quote_removed = sum(leftover.values()) <= QUOTE_LEFTOVER
    signature_removed = None
    own = sig - want
    if email.signature and own:
        left = sum((own & got).values())
        signature_removed = left <= int(SIGNATURE_LEFTOVER_SHARE * sum(own.values()))
    return Score(kept, quote_removed, signature_removed)


def summarise(scores: Iterable[Score]) -> Summary:
    scores = list(scores)
    return Summary(
        emails=len(scores),
        kept=sum(s.kept for s in scores),
        quotes=sum(s.quote_removed is not None for s in scores),
        quotes_removed=sum(bool(s.quote_removed) for s in scores),
        signatures=sum(s.signature_removed is not None for s in scores),
        signatures_removed=sum(bool(s.signature_removed) for s in scores),
    )


# ---------------------------------------------------------------- cleaners under test

Cleaner = Callable[[CorpusEmail], str]


def ours() -> Cleaner:
    from nlu.cleaning import clean

    return lambda e: clean(e.raw, "email")


def from_path(spec: str) -> Cleaner:
    """``module:function`` taking (text, channel), e.g. an older copy of the cleaner."""
    module, _, name = spec.partition(":")
    fn = getattr(importlib.import_module(module), name or "clean")
    return lambda e: fn(e.raw, "email")


def _chat_cleaner(spec: str | None) -> Cleaner:
    if spec:
        module, _, name = spec.partition(":")
        fn = getattr(importlib.import_module(module), name or "clean")
    else:
        from nlu.cleaning import clean as fn
    return lambda e: fn(e.expected, "chat")


def _plain(e: CorpusEmail) -> str:
    if not e.is_html:
        return e.raw
    from nlu.cleaning import html_to_text

    return html_to_text(e.raw, mark_quotes=False)


def libraries() -> dict[str, Cleaner]:
    """The installed reply-parsing libraries, by name and version."""
    from importlib.metadata import PackageNotFoundError, version

    libs: dict[str, Cleaner] = {}
    try:
        from email_reply_parser import EmailReplyParser as ERP

        libs[f"email-reply-parser {version('email-reply-parser')}"] = lambda e: ERP.parse_reply(
            _plain(e)
        )
    except (ImportError, PackageNotFoundError):
        pass
    try:
        from mailparser_reply import EmailReplyParser as MPR

        langs = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs", "hu", "ja", "zh"]
        try:
            parser = MPR(languages=langs)
        except Exception:  # older releases know fewer languages
            parser = MPR(languages=["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"])
        libs[f"mail-parser-reply {version('mail-parser-reply')}"] = lambda e: parser.parse_reply(
            _plain(e)
        )
    except (ImportError, PackageNotFoundError):
        pass
    try:
        from talon import quotations
        from talon.signature.bruteforce import extract_signature

        def talon_(e: CorpusEmail) -> str:
            if e.is_html:  # talon reads the markup itself
                from nlu.cleaning import html_to_text

                try:
                    html = quotations.extract_from_html(e.raw)
                except Exception:  # talon 1.4 and current lxml disagree on some markup
                    html = e.raw
                text = html_to_text(html, mark_quotes=False)
            else:
                text = quotations.extract_from_plain(e.raw)
            return extract_signature(text)[0]

        libs[f"talon {version('talon')}"] = talon_
    except (ImportError, PackageNotFoundError):
        pass
    try:
        import quotequail

        def qq(e: CorpusEmail) -> str:
            parts = quotequail.quote(_plain(e))
            return "\n".join(text for is_new, text in parts if is_new)

        libs[f"quotequail {version('quotequail')}"] = qq
    except (ImportError, PackageNotFoundError):
        pass
    return libs


# ---------------------------------------------------------------- CLI


def measure(cleaner: Cleaner, emails: list[CorpusEmail]) -> list[tuple[CorpusEmail, str, Score]]:
    out = []
    for e in emails:
        text = cleaner(e)
        out.append((e, text, score(text, e)))
    return out


def speed(cleaner: Cleaner, emails: list[CorpusEmail], rounds: int = 20) -> float:
    """Mean µs per e-mail over the corpus (best of ``rounds`` passes)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for e in emails:
            cleaner(e)
        best = min(best, time.perf_counter() - t0)
    return best / len(emails) * 1e6


def _table(rows: list[dict[str, str]]) -> None:
    cols = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in cols]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(r[c].ljust(w) for c, w in zip(cols, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--libs", action="store_true", help="also measure installed libraries")
    ap.add_argument("--cleaner", help="module:function to measure instead of nlu.cleaning")
    ap.add_argument("--speed", action="store_true", help="also time µs per e-mail")
    ap.add_argument("--failures", choices=PARTS, help="print our failures on this part")
    args = ap.parse_args(argv)

    emails = load()
    cleaners = {"nlu.cleaning": ours()} if not args.cleaner else {}
    if args.cleaner:
        cleaners[args.cleaner] = from_path(args.cleaner)
    if args.libs:
        cleaners.update(libraries())
    rows = []
    for name, cleaner in cleaners.items():
        results = measure(cleaner, emails)
        for part in PARTS:
            summary = summarise(s for e, _, s in results if e.part == part)
            row = {"cleaner": name, "part": part, **summary.as_row()}
            if args.speed:
                row["µs/e-mail"] = f"{speed(cleaner, [e for e in emails if e.part == part]):.0f}"
                row["µs/chat message"] = "-"
                if name == next(iter(cleaners)):  # the chat path: the new texts, as chat
                    chat = _chat_cleaner(args.cleaner)
                    row["µs/chat message"] = (
                        f"{speed(chat, [e for e in emails if e.part == part]):.1f}"
                    )
            rows.append(row)
        if args.failures and name == next(iter(cleaners)):
            for e, text, s in results:
                if e.part == args.failures and (not s.kept or s.quote_removed is False):
                    print(f"--- {e.file} kept={s.kept} quote_removed={s.quote_removed}")
                    print(text[:600])
    _table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
