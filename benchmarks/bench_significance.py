"""Time the paired tests of one system against the 30 released baselines (10 MLLMs × S0/S1/S2, 332 samples).

Usage: EMER_DATA_DIR=... python benchmarks/bench_significance.py [--draws 1000] [--repeat 3]
The submitted system is built from the released outputs themselves: sample i takes the labels of
released set i mod 30, so it is a genuine prediction set that differs from every baseline. Components are
the EW ones (accuracy, recall, scored per metric: c = 36) and the statistic M-avg. Prints the time to build
the components, then the time of :func:`paired_comparisons` (paired bootstrap + approximate
randomization for the 30 pairs, shared draws, Holm) against the 5 s target. Single-threaded: the draw
sums use numpy's einsum loops, not BLAS.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from emer.data import load_gold_ov_labels, load_system_outputs  # noqa: E402
from emer.labels.wheel import load_wheel_tables, wheel_groupings  # noqa: E402
from emer.metrics.significance import ew_components, ew_sample_arrays, paired_comparisons  # noqa: E402
from emer.metrics.wheel import EWScorer  # noqa: E402

TARGET_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    gold = load_gold_ov_labels()
    outputs = load_system_outputs()
    scorer = EWScorer(
        dict(zip(gold["sample"], gold["labels"], strict=True)), wheel_groupings(tables=load_wheel_tables())
    )
    sets = sorted(outputs.groupby(["system", "setting"]).groups)
    samples = scorer.samples
    by_set = {
        key: dict(zip(part["sample"], part["labels"], strict=True))
        for key, part in outputs.groupby(["system", "setting"])
    }
    mixed = pd.DataFrame(
        {
            "system": "submitted",
            "setting": "-",
            "sample": samples,
            "labels": [by_set[sets[i % len(sets)]][s] for i, s in enumerate(samples)],
        }
    )
    start = time.perf_counter()
    arrays = ew_sample_arrays(scorer.sample_scores(pd.concat([outputs, mixed], ignore_index=True)))
    systems, statistic = {}, None
    for (system, setting), (accuracy, recall, scored) in arrays.items():
        systems[f"{system} {setting}".strip(" -")], statistic = ew_components(
            accuracy, recall, scored, scale=100
        )
    build_s = time.perf_counter() - start
    pairs = [("submitted", name) for name in sorted(systems) if name != "submitted"]

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = paired_comparisons(systems, statistic, pairs, n_draws=args.draws, seed=0)
        times.append(time.perf_counter() - start)
    shape = next(iter(systems.values())).shape
    print(
        f"data: 1 system vs {len(pairs)} baselines × {shape[0]} samples, c = {shape[1]} components (EW M-avg)"
    )
    print(f"score + build components      {build_s:8.3f} s")
    draws = f"{args.draws} bootstrap draws + {args.draws} permutations"
    print(f"paired tests, first call      {times[0]:8.3f} s  ({draws})")
    print(f"paired tests, best of {args.repeat:<2d}      {min(times):8.3f} s")
    print(f"significant after Holm: {int(table['significant'].sum())} of {len(table)} pairs")
    start = time.perf_counter()
    paired_comparisons(systems, statistic, pairs, n_draws=args.draws, seed=0, n_permutations=10 * args.draws)
    print(f"same, {10 * args.draws} permutations    {time.perf_counter() - start:8.3f} s  (finer p floor)")
    verdict = "within" if times[0] <= TARGET_S else "over"
    print(f"paired tests (first call) {times[0]:.3f} s: {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
