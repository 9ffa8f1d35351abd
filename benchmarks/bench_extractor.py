"""Time the offline OV-label extractors on the released descriptions (10 MLLMs × S0/S1/S2 × 332).

Usage: EMER_DATA_DIR=... python benchmarks/bench_extractor.py [--repeat 3] [--n 0]
Prints the selector's fit time (development split and speech reader, from the public files) and the
throughput of each extractor (``selector``, the default, and ``lexicon``) in descriptions per second on
one core, best of --repeat passes over the first --n descriptions (0: all 9,960), against the 500/s
target. Single-threaded: numpy runs no multi-threaded kernels here.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

from emer.data import load_system_outputs  # noqa: E402
from emer.labels.lexicon import load_lexicon  # noqa: E402
from emer.labels.selector import DEV_SYSTEMS, dev_lexicon, fit_selector, load_speech_reader  # noqa: E402

TARGET_PER_S = 500.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=0, help="descriptions per pass (0 = all)")
    args = parser.parse_args()

    outputs = load_system_outputs()
    texts = outputs["description"].tolist()[: args.n or None]
    dev = outputs[outputs["system"].isin(DEV_SYSTEMS)]
    start = time.perf_counter()
    selector = fit_selector(dev, dev_lexicon(dev), speech=load_speech_reader())
    fit_s = time.perf_counter() - start
    print(
        f"selector fit: {fit_s:.2f} s ({selector.n_train} candidates from {len(dev)} development "
        f"descriptions, the lexicon's calibration and the speech reader included; target < 60 s)"
    )
    lexicon = load_lexicon()
    for name, extract in (("selector", selector.extract), ("lexicon", lexicon.extract)):
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for text in texts:
                extract(text)
            best = min(best, time.perf_counter() - start)
        rate = len(texts) / best
        verdict = "ok" if rate >= TARGET_PER_S else "BELOW TARGET"
        print(f"{name}: {rate:,.0f} descriptions/s ({len(texts)} in {best:.2f} s; >= 500/s: {verdict})")


if __name__ == "__main__":
    main()
