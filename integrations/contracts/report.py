"""What a contract check found, and the table the command prints."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Result", "render", "run_all"]


@dataclass
class Result:
    """One row: an API at one version, how many calls were checked, what was wrong."""

    api: str
    version: str
    calls: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # spec and reality disagree: reality wins

    @property
    def ok(self) -> bool:
        return not self.problems


def run_all(spec_dir: Path, only: Iterable[str] = ()) -> list[Result]:
    """Every check, or only those named in ``only`` (shopify, zendesk, usps, fedex,
    ups, dhl); the others are not run at all."""
    from integrations.contracts import carriers, shopify, zendesk

    checks: dict[str, Callable[[], list[Result]]] = {
        "shopify": lambda: shopify.check(spec_dir),
        "zendesk": lambda: zendesk.check(spec_dir),
        **{c.name: (lambda c=c: [carriers.check_carrier(spec_dir, c)]) for c in carriers.CARRIERS},
    }
    wanted = [w.lower() for w in only] or list(checks)
    unknown = sorted(set(wanted) - set(checks))
    if unknown:
        raise ValueError(f"no contract check for {', '.join(unknown)} (known: {', '.join(checks)})")
    return [r for name, check in checks.items() if name in wanted for r in check()]


def render(results: list[Result], *, verbose: bool = False) -> str:
    """A table per API: version | calls checked | result, then the problems."""
    lines: list[str] = []
    for api in dict.fromkeys(r.api for r in results):
        rows = [r for r in results if r.api == api]
        width = max(7, *(len(r.version) for r in rows))
        lines += [api, f"  {'version':<{width}}  {'calls checked':>13}  result"]
        for r in rows:
            verdict = "ok" if r.ok else f"FAILED ({len(r.problems)})"
            lines.append(f"  {r.version:<{width}}  {r.calls:>13}  {verdict}")
        for r in rows:
            lines += [f"    {r.version}: {p}" for p in r.problems]
            if verbose:
                lines += [f"    {r.version}: note: {n}" for n in r.notes]
        lines.append("")
    total = sum(r.calls for r in results)
    failed = sum(not r.ok for r in results)
    lines.append(f"{total} calls checked, {failed} of {len(results)} rows failed")
    return "\n".join(lines)
