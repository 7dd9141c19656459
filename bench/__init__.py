"""Benchmarks of issue 7: chat load, idle connections, email, slow outside world, scale-out;
and of issue 13: the conversation benchmark (``python -m bench.conversations``, the
runner in ``bench.conversation_runner``, the conversations in ``bench/conversations/``).

Each module is a rerunnable command (``python -m bench.<name> --help``) that prints a table
and can write JSON. Figures, machine and dates are in docs/benchmarks.md. Nothing here is
imported by the server; tests only run each benchmark at a tiny size (tests/test_bench_smoke.py).
"""
