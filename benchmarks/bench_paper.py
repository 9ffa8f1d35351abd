"""Time `make paper` after setup: every notebook executed by the runner into a scratch folder.

Usage: python benchmarks/bench_paper.py [--only 00 07] [--repeat 1]
Prints the wall time per notebook and in total, against the 60 s target of the foundation notebooks.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from emer.nbrun import notebook_paths, run_notebook

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="notebook stem prefixes (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    paths = [p for p in notebook_paths() if not args.only or any(p.stem.startswith(o) for o in args.only)]
    totals = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            total = 0.0
            for path in paths:
                start = time.perf_counter()
                run_notebook(path, Path(tmp))
                elapsed = time.perf_counter() - start
                total += elapsed
                print(f"run {run + 1}  {path.stem:<40s} {elapsed:7.1f} s")
            totals.append(total)
            print(f"run {run + 1}  {'total':<40s} {total:7.1f} s")
    best = min(totals)
    verdict = "within" if best <= TARGET_S else "over"
    print(
        f"best total {best:.1f} s for {len(paths)} notebooks: {verdict} the {TARGET_S:.0f} s target "
        f"({best / TARGET_S:.2f} of it)"
    )


if __name__ == "__main__":
    main()
