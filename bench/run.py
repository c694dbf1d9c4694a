"""`make bench`: run every benchmark, print a table and write bench/results.json (keys described in bench/__init__).

`python -m bench.run signed_in_page local_authority` runs only those benchmarks (named by their module in bench/),
in the order of BENCHMARKS, and updates their metrics in bench/results.json, keeping the others' figures.

To add a metric, write a function that takes the Workspace (database, gunicorn servers, temporary directory) and
returns Metric objects, and list it in BENCHMARKS. Figures are reported, not asserted: the exit status is 0 even when
a metric misses its target, and 1 only when a benchmark could not run.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    alerts,
    api,
    attendance,
    compliance,
    local_authority,
    page_weight,
    signed_in_page,
    upload_200mb,
    upload_check,
)
from bench.errors import BenchError
from bench.metrics import Metric
from bench.workspace import Workspace

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"

Benchmark = Callable[[Workspace], list[Metric]]
BENCHMARKS: list[Benchmark] = [
    signed_in_page.run,
    page_weight.run,
    upload_check.run,
    upload_200mb.run,
    api.run,
    attendance.run,
    compliance.run,  # after attendance: the same seeded databases
    local_authority.run,  # the same again
    alerts.run,
]


def _name(benchmark: Benchmark) -> str:
    return benchmark.__module__.rpartition(".")[2]


def select(names: list[str]) -> list[Benchmark]:
    """The benchmarks named (every one when none is), in the order of BENCHMARKS."""
    known = [_name(benchmark) for benchmark in BENCHMARKS]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BenchError(f"no benchmark called {', '.join(unknown)} (there are: {', '.join(known)})")
    return [benchmark for benchmark in BENCHMARKS if not names or _name(benchmark) in names]


def run_all(benchmarks: list[Benchmark] | None = None) -> list[Metric]:
    metrics: list[Metric] = []
    with Workspace() as workspace:
        for benchmark in BENCHMARKS if benchmarks is None else benchmarks:
            print(f"{benchmark.__module__}:", flush=True)
            metrics.extend(benchmark(workspace))
    names = [m.name for m in metrics]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BenchError(f"metric names reported twice: {', '.join(duplicates)}")
    return metrics


def write_results(metrics: list[Metric], path: Path, *, keep_others: bool = False) -> None:
    """Written whole through a temporary file, so a reader never sees half a file. With `keep_others` (a run of some
    benchmarks only), the figures of metrics not measured this time stay as they were."""
    data = {}
    if keep_others and path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    data.update({m.name: m.as_json() for m in metrics})
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def format_table(metrics: list[Metric]) -> str:
    """Names and units left-aligned, values right-aligned, one line per metric."""
    rows = [("metric", "value", "unit", "target", "ok")]
    rows += [(m.name, f"{m.value:g}", m.unit, m.target, "yes" if m.ok else "NO") for m in metrics]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(width) if i == 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _exit_on_signal(signum: int, _frame) -> None:
    """Turn SIGTERM/SIGHUP into SystemExit, so the workspace still stops its servers (they run in their own
    process groups, so nothing else would)."""
    raise SystemExit(128 + signum)


def main(names: list[str]) -> int:
    started = time.monotonic()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        metrics = run_all(select(names))
    except BenchError as exc:
        print(f"bench: could not run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted (servers stopped, no results written)", file=sys.stderr)
        return 130
    write_results(metrics, RESULTS_PATH, keep_others=bool(names))
    print(f"\n{format_table(metrics)}\n\nwrote {RESULTS_PATH} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
