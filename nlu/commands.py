"""`chatbot train`, `chatbot classify` and `chatbot evaluate`.

Heavy imports (spaCy, scikit-learn) happen inside the command functions so the
other commands start fast. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["register"]

_CHUNK = 256


def register(subparsers: Any) -> None:
    """Add the NLU commands to the `chatbot` parser."""
    p = subparsers.add_parser("train", help="train an intent model and install it")
    p.add_argument("--data", type=Path, help="YAML directory or .jsonl (default nlu/data/train)")
    p.add_argument("--heldout", type=Path, help="YAML directory or .jsonl to score on")
    p.add_argument("--out", type=Path, help="model directory (default: settings model_dir)")
    p.add_argument("--if-missing", action="store_true", help="only when no usable model exists")
    p.add_argument("--no-tune", action="store_true", help="skip the hyper-parameter search")
    p.add_argument(
        "--include-reviewed",
        action="store_true",
        help="also train on the accepted agent labels in the database (masked text)",
    )
    p.add_argument(
        "--force", action="store_true", help="install even if worse than the current model"
    )
    p.add_argument("--config", help="YAML settings file")
    p.set_defaults(func=train_command)

    p = subparsers.add_parser("classify", help="classify messages (TEXT or JSON Lines on stdin)")
    p.add_argument("texts", nargs="*", metavar="TEXT")
    p.add_argument("--model", type=Path, help="model or version directory (default: installed)")
    p.add_argument("--channel", choices=("chat", "email"), default="chat", help="for TEXT")
    p.add_argument("--threshold", type=float, help="override the model's threshold")
    p.add_argument("--top", type=int, default=0, help="ranking entries to print (0: all)")
    p.add_argument(
        "--expecting",
        choices=("yes_no", "choice", "email", "order_number", "address", "agent"),
        help="what the bot asked for: also print the dialogue act (for TEXT)",
    )
    p.add_argument("--config", help="YAML settings file")
    p.set_defaults(func=classify_command)

    p = subparsers.add_parser("evaluate", help="score a model on labelled data, or CLINC150")
    p.add_argument("--data", type=Path, help="YAML directory or .jsonl (default nlu/data/heldout)")
    p.add_argument("--model", type=Path, help="model or version directory (default: installed)")
    p.add_argument("--report", type=Path, metavar="DIR", help="write an HTML report there")
    p.add_argument("--clinc150", type=Path, metavar="PATH", help="run the CLINC150 benchmark")
    p.add_argument(
        "--articles",
        nargs="?",
        const="",
        metavar="PATH",
        help="score the help-center answers on held-out questions (default "
        "nlu/data/articles_heldout.yml; cross-validated tuning set when absent)",
    )
    p.add_argument(
        "--articles-dir",
        type=Path,
        metavar="DIR",
        help="the Markdown articles the questions refer to (default: the demo shop's)",
    )
    p.add_argument("--list", action="store_true", help="with --articles: list the articles")
    p.add_argument(
        "--asks",
        type=Path,
        metavar="DIR",
        help="score asks and acts on DIR (default with no --data: nlu/data/heldout_asks)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--config", help="YAML settings file")
    p.set_defaults(func=evaluate_command)


def _settings(args: argparse.Namespace) -> Any:
    from chatserver.settings import load_settings

    return load_settings(args.config)


def _progress(message: str) -> None:
    print(f"[nlu] {message}", file=sys.stderr, flush=True)


def _fail(message: str, status: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


# ---------------------------------------------------------------- train


def train_command(args: argparse.Namespace) -> int:
    from nlu import registry
    from nlu.dataset import (
        DEFAULT_HELDOUT_DIR,
        DEFAULT_TRAIN_DIR,
        load_examples,
        stratified_split,
    )
    from nlu.errors import NLUError
    from nlu.evaluation import evaluate, format_text
    from nlu.promotion import format_table, gate
    from nlu.train import DEFAULT_GRID, fit, save_trained

    try:
        out = args.out or _settings(args).model_dir
        if args.if_missing:
            try:
                meta = registry.read_meta(registry.resolve(out))
            except NLUError as exc:
                _progress(f"no usable model in {out} ({exc}): training one")
            else:
                _progress(f"model {meta.version} already installed in {out}: nothing to do")
                return 0
        data = args.data or DEFAULT_TRAIN_DIR
        examples = load_examples(data)
        heldout = None
        if args.heldout:
            heldout = load_examples(args.heldout)
        elif Path(data).is_dir():
            sibling = DEFAULT_HELDOUT_DIR if args.data is None else Path(data).parent / "heldout"
            if sibling.is_dir() and any(sibling.glob("*.yml")):
                heldout = load_examples(sibling)
        if heldout is None:
            examples, heldout = stratified_split(examples, test_size=0.2, seed=0)
            _progress(f"no held-out set: holding out {len(heldout)} examples (stratified 20%)")
        if args.include_reviewed:
            from chatserver.learning.reviewed import add_reviewed, load_accepted

            reviewed = load_accepted(_settings(args).database_url)
            examples, merged = add_reviewed(examples, reviewed, heldout)
            _progress(f"reviewed production messages: {merged.to_json()}")
        trained = fit(examples, grid=None if args.no_tune else DEFAULT_GRID, progress=_progress)
        _progress(f"trained in {trained.train_seconds:.1f} s; scoring {len(heldout)} held-out")
        nlu = trained.to_nlu("new")
        ev = evaluate(nlu, heldout)
        metrics = {
            "heldout_accuracy": ev.accuracy,
            "heldout_intent_accuracy": ev.intent_accuracy,
            "heldout_escalation_rate": ev.escalation_rate,
            "heldout_oos_recall": ev.oos_recall,
            "heldout_answered_accuracy": ev.answered_accuracy,
            "heldout_n": ev.n,
        }
        version_dir = save_trained(trained, out, metrics=metrics, make_current=False)
        print(format_text(ev).replace("model new", f"model {version_dir.name}", 1))
        # Promoted only if not worse than CURRENT on the same held-out set (nlu.promotion).
        outcome = gate(out, version_dir.name, heldout, force=args.force, candidate_scores=ev)
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
    print("\n" + format_table(outcome.comparison))
    if not outcome.promoted:
        return _fail(outcome.message, status=1)
    print(f"\n{outcome.message} ({version_dir})")
    return 0


# ---------------------------------------------------------------- classify


def _load_nlu(args: argparse.Namespace, *, acts: bool = True) -> Any:
    from nlu.engine import NLU

    if args.model:
        return NLU.load(args.model, threshold=args.threshold, acts=acts)
    settings = _settings(args)
    threshold = args.threshold if args.threshold is not None else settings.confidence_threshold
    return NLU.load(settings.model_dir, threshold=threshold, acts=acts)


def _output(parse: Any, top: int) -> dict[str, Any]:
    ranking = parse.ranking[:top] if top > 0 else parse.ranking
    return {
        "text": parse.text,
        "intent": parse.intent,
        "confidence": parse.confidence,
        "escalate": parse.escalate,
        "reason": parse.reason,
        "ranking": [[c, p] for c, p in ranking],
        "entities": [{"type": e.type, "value": e.value} for e in parse.entities],
        **{k: v for k, v in parse.to_dict().items() if k in ("asks", "act", "signals")},
    }


def classify_command(args: argparse.Namespace) -> int:
    from nlu.errors import NLUError

    try:
        # The act model only answers --expecting: loading it costs a second of start-up.
        nlu = _load_nlu(args, acts=args.expecting is not None)
    except (NLUError, OSError, ValueError) as exc:  # ValueError: threshold outside [0, 1]
        return _fail(str(exc))
    out = sys.stdout
    if args.texts:
        for parse in nlu.parse_many(args.texts, args.channel, args.expecting):
            _write(out, _output(parse, args.top))
        return 0
    failed = _classify_stream(nlu, sys.stdin, out, args.top, interactive=sys.stdin.isatty())
    return 1 if failed else 0


def _classify_stream(nlu: Any, lines: TextIO, out: TextIO, top: int, interactive: bool) -> int:
    """Classify JSON Lines; a bad line gets an error object. Returns the number of bad lines."""
    failed = 0
    pending: list[tuple[int, str, str]] = []

    def flush() -> None:
        if not pending:
            return
        by_line: dict[int, dict[str, Any]] = {}
        for channel in ("chat", "email"):
            group = [(n, t) for n, t, ch in pending if ch == channel]
            if group:
                parses = nlu.parse_many([t for _, t in group], channel)
                for (n, _), parse in zip(group, parses, strict=True):
                    by_line[n] = _output(parse, top)
        for n, _, _ in pending:
            _write(out, by_line[n])
        pending.clear()

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item, error = _parse_line(line)
        if error:
            flush()
            failed += 1
            _write(out, {"error": error, "line": n})
            continue
        pending.append((n, item["text"], item["channel"]))
        if interactive or len(pending) >= _CHUNK:
            flush()
    flush()
    return failed


def _parse_line(line: str) -> tuple[dict[str, str], str | None]:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return {}, f"not JSON: {exc}"
    if not isinstance(obj, dict):
        return {}, 'expected an object {"text": ..., "channel": "chat"|"email"}'
    text = obj.get("text")
    if not isinstance(text, str):
        return {}, '"text" must be a string' if "text" in obj else 'missing "text"'
    channel = obj.get("channel", "chat")
    if channel not in ("chat", "email"):
        return {}, '"channel" must be "chat" or "email"'
    return {"text": text, "channel": channel}, None


def _write(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


# ---------------------------------------------------------------- evaluate


def evaluate_command(args: argparse.Namespace) -> int:
    from nlu.dataset import DEFAULT_HELDOUT_DIR, load_examples
    from nlu.errors import NLUError

    if args.clinc150:
        from nlu.benchmark import clinc150

        try:
            figures = clinc150(args.clinc150, progress=_progress)
        except NLUError as exc:
            return _fail(str(exc))
        if args.json:
            print(json.dumps(figures))
        else:
            for key, value in figures.items():
                print(f"{key}: {value}")
        return 0

    if args.articles is not None:
        return _evaluate_articles(args)

    from nlu.evaluation import evaluate, format_text

    data = args.data or DEFAULT_HELDOUT_DIR
    try:
        nlu = _load_nlu(argparse.Namespace(**{**vars(args), "threshold": None}))
        examples = load_examples(data)
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
    ev = evaluate(nlu, examples)
    asks = _ask_figures(nlu, args)
    if isinstance(asks, int):
        return asks
    if args.json:
        print(json.dumps({**ev.to_dict(), "asks": asks and asks.to_dict()}, default=str))
    else:
        print(format_text(ev))
        if asks is not None:
            from nlu.ask_evaluation import format_asks

            print("\n" + format_asks(asks, misses=3))
    if args.report:
        from nlu.report import write_report

        path = write_report(ev, args.report, data=str(data))
        _progress(f"report written to {path}")
    return 0


def _evaluate_articles(args: argparse.Namespace) -> int:
    """`chatbot evaluate --articles [PATH]`: precision at the threshold, coverage, the
    curve, for BM25 (the shipped ranker) and TF-IDF (its measured alternative)."""
    from integrations.articles_folder import ArticleFolder
    from nlu.errors import NLUError
    from nlu.retrieval.answers import DEMO_ARTICLES
    from nlu.retrieval.evaluation import evaluate_articles, format_text
    from nlu.retrieval.index import Analyzer
    from nlu.retrieval.questions import DEFAULT_HELDOUT, DEFAULT_TUNING, load_questions

    try:
        folder = ArticleFolder(args.articles_dir or DEMO_ARTICLES)
        articles = folder.load()
        if args.list:
            for a in articles:
                print(f"{a.id}\t{a.slug}\t{a.section}\t{a.title}")
            return 0
        keys = {k: a.id for a in articles for k in a.keys}
        tuning = load_questions(DEFAULT_TUNING, keys)
        path = Path(args.articles) if args.articles else DEFAULT_HELDOUT
        heldout = load_questions(path, keys) if args.articles or path.is_file() else None
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
    if heldout is None:
        _progress(f"no held-out questions at {path}: cross-validating the tuning set")
    analyzer = Analyzer()
    parses = _article_parses(heldout if heldout is not None else tuning)
    results = [evaluate_articles(articles, tuning, heldout, ranker=r, analyzer=analyzer,
                                 parses=parses if r == "bm25" else None)
               for r in ("bm25", "tfidf")]  # fmt: skip
    main, others = results[0], results[1:]
    if args.json:
        print(json.dumps({r.ranker: r.to_dict() for r in results}, default=str))
    else:
        print(format_text(main, others))
    if args.report:
        from nlu.retrieval.report import write_articles_report

        data = str(path) if heldout is not None else str(DEFAULT_TUNING)
        report = write_articles_report(main, args.report, others, data=data)
        _progress(f"report written to {report}")
    return 0


def _article_parses(questions: Any) -> Any:
    """The installed intent model's reading of each question, None without a model."""
    from nlu.engine import NLU
    from nlu.errors import NLUError

    try:
        nlu = NLU.load()
    except NLUError as exc:
        _progress(f"no intent model ({exc}): figures without the routing")
        return None
    return [nlu.parse(q.text, q.channel) for q in questions]


def _ask_figures(nlu: Any, args: argparse.Namespace) -> Any:
    """The asks/acts evaluation (nlu.ask_evaluation), None when not asked for, or an exit code."""
    from nlu.ask_evaluation import evaluate_asks, load_ask_data
    from nlu.dataset import DEFAULT_HELDOUT_ASKS_DIR
    from nlu.errors import NLUError

    directory = args.asks
    if directory is None and args.data is None and DEFAULT_HELDOUT_ASKS_DIR.is_dir():
        directory = DEFAULT_HELDOUT_ASKS_DIR
    if directory is None:
        return None
    try:
        return evaluate_asks(nlu, load_ask_data(directory))
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
