"""Time the 12 emotion-wheel (EW) metrics on every released system output (10 MLLMs × S0/S1/S2 × 332).

Usage: EMER_DATA_DIR=... python benchmarks/bench_wheel_metrics.py [--repeat 5] [--revision MER2025]
Prints the data loading time, the mapping build time (tables from the released csv/xlsx files, the 12
label maps, the scorer's gold side) and the scoring time (first call, then best of --repeat), against
the 1 s scoring target. Single-threaded: numpy here runs no multi-threaded kernels.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

from emer.data import load_gold_ov_labels, load_system_outputs  # noqa: E402
from emer.labels.wheel import EW_METRICS, clear_wheel_cache, load_wheel_tables, wheel_groupings  # noqa: E402
from emer.metrics.wheel import EWScorer, ew_table  # noqa: E402

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--revision", default="MER2025", choices=["MER2025", "MER2026"])
    args = parser.parse_args()

    start = time.perf_counter()
    gold = load_gold_ov_labels()
    outputs = load_system_outputs()
    gold_map = dict(zip(gold["sample"], gold["labels"], strict=True))
    load_s = time.perf_counter() - start

    clear_wheel_cache()
    start = time.perf_counter()
    tables = load_wheel_tables(revision=args.revision)
    tables_s = time.perf_counter() - start
    start = time.perf_counter()
    scorer = EWScorer(gold_map, wheel_groupings(tables=tables))
    maps_s = time.perf_counter() - start

    start = time.perf_counter()
    scores = scorer.system_scores(outputs)
    first_s = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        scores = scorer.system_scores(outputs)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    ew_table(scores)
    table_s = time.perf_counter() - start

    n_sets = scores[["system", "setting"]].drop_duplicates().shape[0]
    print(f"data: {n_sets} prediction sets × {len(scorer.samples)} samples × {len(EW_METRICS)} metrics")
    print(f"load outputs + gold           {load_s:8.3f} s")
    print(f"build tables ({args.revision})       {tables_s:8.3f} s  (format.csv, synonym/wheel xlsx)")
    print(f"build label maps + scorer     {maps_s:8.3f} s")
    print(f"score, first call             {first_s:8.3f} s  (maps each distinct predicted label once)")
    print(f"score, best of {args.repeat:<2d}            {min(times):8.3f} s")
    print(f"wide table (M-avg)            {table_s:8.3f} s")
    verdict = "within" if first_s <= TARGET_S else "over"
    print(f"scoring (first call) {first_s:.3f} s: {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
