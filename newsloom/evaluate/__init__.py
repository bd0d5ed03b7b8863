"""Evaluation against public gold data: one module per stage (`newsloom eval <stage>`).

Each module exposes `evaluate(data: Path, *, limit: int | None = None, split: str = "all")
-> EvalResult`. The CLI prints `EvalResult.table()` and, with `--json`, the metrics as
one JSON object on the last line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsloom.errors import EvalDataMissing


@dataclass(slots=True)
class EvalResult:
    """Metrics of one stage on one data set, beside published reference numbers."""

    stage: str
    data: str
    headline: str  # the key of the headline metric in `metrics`
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=dict)  # system name -> headline value
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        lines = [f"newsloom eval {self.stage} on {self.data}", ""]
        width = max((len(k) for k in self.metrics), default=10)
        for key, value in self.metrics.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            mark = "  <- headline" if key == self.headline else ""
            lines.append(f"  {key:<{width}}  {shown}{mark}")
        if self.reference:
            lines += ["", f"  reference ({self.headline}):"]
            for name, value in self.reference.items():
                lines.append(f"    {name:<28} {value:.3f}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def require(path: Path) -> Path:
    """Return `path` if it exists, else raise EvalDataMissing with a clear message."""
    if not path.exists():
        raise EvalDataMissing(f"evaluation data not found: {path} (see ../shared/README.md)")
    return path


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f
