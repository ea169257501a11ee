"""Benchmarks: loader throughput and memory, full and incremental build cost, how a full
refresh grows with the data, dbt overhead, the BigQuery bytes of a daily run.

    python benchmarks/run.py [--scale small|medium|full]
                             [--only loader,pipeline,incremental,history,scaling,overhead,bigquery]
                             [--workdir benchmarks/work] [--output benchmarks/results.json]
                             [--repeat N] [--merge] [--profile] [--show]

Prints a table and writes results.json. Every figure is read against a baseline
measured in the same run (these machines are shared and noisy); targets are judged on
those ratios. `--scale small` finishes in about a minute, as a smoke test; `--scale
full` is the benchmark of record (tens of minutes on two cores). See README.md here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import bigquery_bytes
import loader_bench
import overhead_bench
import pipeline_bench
from report import Figure, machine, table, table_from_rows

HERE = Path(__file__).resolve().parent
SECTIONS = ("loader", "pipeline", "incremental", "history", "scaling", "overhead", "bigquery")

SCALES: dict[str, dict[str, object]] = {
    "small": {
        "loader_rows": 20_000,
        "loader_rows_large": 80_000,
        "members": 3_650,
        "days": 14,
        "start": "2025-01-01",
        "seed": 7,
        "scale_factor": 3,
        "history_factor": 3,
        "repeat": 1,
    },
    # For iterating on the dbt models: big enough that the SQL, not dbt's start-up,
    # dominates a full refresh; the history section at this scale takes minutes.
    "medium": {
        "loader_rows": 200_000,
        "loader_rows_large": 800_000,
        "members": 20_000,
        "days": 120,
        "start": "2025-01-01",
        "seed": 7,
        "scale_factor": 3,
        "history_factor": 3,
        "repeat": 1,
    },
    "full": {
        "loader_rows": 1_000_000,
        "loader_rows_large": 4_000_000,
        "members": 100_000,
        "days": 365,
        "start": "2025-01-01",
        "seed": 7,
        "scale_factor": 3,
        "history_factor": 3,
        "repeat": 2,
    },
}


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated sections to run (default: all): " + ", ".join(SECTIONS),
    )
    parser.add_argument("--workdir", type=Path, default=HERE / "work",
                        help="scratch space for data and warehouses (default: benchmarks/work)")
    parser.add_argument("--output", type=Path, default=HERE / "results.json",
                        help="where to write the results (default: benchmarks/results.json)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each short measurement, the fastest kept (default: 1 small, 2 full)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the sections of an existing --output (same scale) that this run does not measure")
    parser.add_argument("--show", action="store_true",
                        help="print the table of an existing --output and exit, measuring nothing")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the loader (cProfile) and EXPLAIN ANALYZE the slowest models")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"--only got {', '.join(unknown)}; choose among {', '.join(SECTIONS)}.")
    args.sections = chosen
    return args


def _kept_sections(
    output: Path, scale: str, sections: list[str], results: dict[str, object]
) -> list[dict[str, object]]:
    """Sections of an earlier results file that this run does not measure again.

    Each section's figures are ratios against baselines measured in that section's
    own run, so sections from different runs may sit side by side.
    """
    try:
        earlier = json.loads(output.read_text())
    except (OSError, ValueError):
        return []
    if earlier.get("scale") != scale:
        return []
    rerun = {"pipeline"} if {"pipeline", "incremental", "history", "scaling"} & set(sections) else set()
    rerun |= set(sections)
    kept_names = [name for name in SECTIONS if name in earlier and name not in rerun]
    for name in kept_names:
        results[name] = earlier[name]
    results["sections_kept_from_earlier_run"] = kept_names
    kept_sections = set(kept_names)
    if "pipeline" in kept_sections:
        # Their figures are read against that run's full refresh.
        kept_sections |= {"incremental", "history", "scaling"}
    return [f for f in earlier.get("figures", []) if f.get("section") in kept_sections]


def _write(
    output: Path, results: dict[str, object], figures: list[Figure], kept: list[dict[str, object]]
) -> None:
    rows = [figure.as_dict() for figure in figures] + kept
    judged = [row["passed"] for row in rows if row["passed"] is not None]
    results["figures"] = sorted(rows, key=lambda row: SECTIONS.index(str(row["section"])))
    results["targets_met"] = all(judged) if judged else None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    if args.show:
        print(table_from_rows(json.loads(args.output.read_text())["figures"]))
        return 0
    scale = SCALES[args.scale]
    repeat = args.repeat or int(scale["repeat"])
    workdir = args.workdir.resolve() / args.scale
    results: dict[str, object] = {
        "scale": args.scale,
        "parameters": scale,
        "sections_run": args.sections,
        "machine": machine(),
    }
    figures: list[Figure] = []
    kept: list[dict[str, object]] = []
    if args.merge:
        kept = _kept_sections(args.output, args.scale, args.sections, results)
    failed: list[str] = []
    started = time.perf_counter()

    def section(name: str, job) -> None:  # type: ignore[no-untyped-def]
        print(f"[{time.perf_counter() - started:7.1f}s] {name} ...", flush=True)
        try:
            section_results, section_figures = job()
        except Exception as error:  # noqa: BLE001 - report it, carry on with the next section
            failed.append(name)
            results[name] = {"error": str(error)}
            print(f"{name} failed: {error}", file=sys.stderr)
            traceback.print_exc()
        else:
            results[name] = {"measured_at": machine()["date_utc"], **section_results}
            figures.extend(section_figures)
        _write(args.output, results, figures, kept)

    if "loader" in args.sections:
        section("loader", lambda: loader_bench.run(
            workdir / "loader", int(scale["loader_rows"]),
            int(scale["loader_rows_large"]),
            repeat, args.profile,
        ))
    if {"pipeline", "incremental", "history", "scaling"} & set(args.sections):
        # The incremental and scaling steps are read against the full refresh, and
        # the history step against the incremental one, so they run with it.
        section("pipeline", lambda: pipeline_bench.run(
            workdir / "pipeline", int(scale["members"]), int(scale["days"]), str(scale["start"]),
            int(scale["seed"]), incremental=bool({"incremental", "history"} & set(args.sections)),
            profile=args.profile,
            scale_factor=int(scale["scale_factor"]) if "scaling" in args.sections else 1,
            history_factor=int(scale["history_factor"]) if "history" in args.sections else 1,
        ))
    if "overhead" in args.sections:
        section("overhead", lambda: overhead_bench.run(workdir / "overhead", repeat))
    if "bigquery" in args.sections:
        # The pipeline section's generated data (reused when it is already there).
        section("bigquery", lambda: bigquery_bytes.run(
            workdir / "pipeline", int(scale["members"]), int(scale["days"]), str(scale["start"]), int(scale["seed"]),
        ))

    results["total_seconds"] = round(time.perf_counter() - started, 1)
    _write(args.output, results, figures, kept)
    print()
    print(table(figures))
    judged = [f for f in figures if f.passed is not None]
    print(f"\n{sum(1 for f in judged if f.passed)} of {len(judged)} targets of this run met; "
          f"results in {args.output}")
    if kept:
        print(f"({len(kept)} figures of {', '.join(results['sections_kept_from_earlier_run'])} "  # type: ignore[arg-type]
              "kept from the earlier run in that file)")
    if failed:
        print(f"These sections did not finish: {', '.join(failed)} (errors above and in {args.output}).",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
