"""Evaluation against public gold data: one module per stage (`newsloom eval <stage>`).

Each module exposes `evaluate(data: Path, *, limit: int | None = None, split: str = "all")
-> EvalResult` and, if it has parts to report on, `SPLITS` (else only "all"). The CLI
calls `run_stage`, prints `EvalResult.table()` and, with `--json`, the metrics as one
JSON object on the last line. Wrong data is one `EvalDataError` naming the path and the
problem (exit 2), never a traceback and never a silent run that measured nothing.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Collection, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.etree.ElementTree import ParseError

from newsloom.errors import EvalDataError, EvalDataMissing, NewsloomError

S = TypeVar("S", bound=Sized)


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
        raise EvalDataMissing(f"{path}: evaluation data not found (see ../shared/README.md)")
    return path


def jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of a gold JSONL file: one JSON object a line in UTF-8, blank
    lines skipped; anything else is one EvalDataError naming the file (and line)."""
    if require(path).is_dir():
        raise EvalDataError(f"{path}: a folder where a file was expected (one JSONL file)")
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise EvalDataError(f"{path}: not UTF-8 text (byte offset {exc.start})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise EvalDataError(f"{path}:{number}: not a JSON object")
        yield number, record


def require_items(items: S, data: Path, what: str) -> S:
    """Return the gold `items` a loader found, or raise EvalDataError when there are none
    (a wrong file or folder must not score zero items as a success)."""
    if not len(items):
        raise EvalDataError(f"{data}: no {what} found")
    return items


def splits(stage: str) -> Collection[str]:
    """The parts of a stage's data that `--split` may name."""
    module = importlib.import_module(f"newsloom.evaluate.{stage}")
    return tuple(getattr(module, "SPLITS", ("all",)))


def run_stage(
    stage: str, data: Path, *, limit: int | None = None, split: str = "all", **options: bool
) -> EvalResult:
    """Evaluate `stage` on `data`; any way of failing to read the data is an EvalDataError.
    `options` are a stage's own flags (paraphrase: `shipped`)."""
    allowed = splits(stage)
    if split not in allowed:
        raise EvalDataError(f"--split {split!r}: eval {stage} has {', '.join(allowed)}")
    module = importlib.import_module(f"newsloom.evaluate.{stage}")
    try:
        result: EvalResult = module.evaluate(data, limit=limit, split=split, **options)
    except NewsloomError:
        raise
    except (OSError, ValueError, KeyError, IndexError, TypeError, ParseError) as exc:
        where = getattr(exc, "filename", None) or data
        raise EvalDataError(f"{where}: not {stage} evaluation data ({_problem(exc)})") from exc
    return result


def _problem(exc: Exception) -> str:
    """What was wrong with the data, in a few words."""
    if isinstance(exc, IsADirectoryError):
        return "a folder where a file was expected"
    if isinstance(exc, NotADirectoryError):
        return "a file where a folder was expected"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, ParseError):
        return f"invalid XML: {exc}"
    if isinstance(exc, KeyError):
        return f"a record has no {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f
