"""Time the subtitle model (emer.clues.subtitle_model) on the six MER-UniBench corpora with transcripts.

Usage: EMER_DATA_DIR=... python benchmarks/bench_subtitle_model.py [--cache-dir DIR] [--languages en zh]

1. cold, in a fresh cache folder (or ``--cache-dir``): per corpus, the embedding of its fit and validation
   subtitles, the fit (every penalty of the grid, then the refit where there is one) and the labelling of
   its test split (embedding included), with the labelling speed; target: everything embedded and fitted
   in ≤ 10 min here;
2. cached: the same again, every model and embedding read back from the cache; target ≤ 30 s.

With ``--languages en zh`` the Chinese-subtitle models are fitted too and their validation log-loss is
printed beside the English ones (the evidence behind the English default; it doubles the cold time).
Every BLAS / OpenMP pool runs on one thread (the encoder always does: ENCODE_THREADS).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from emer.clues import subtitle_model as sm  # noqa: E402
from emer.clues.subtitle_features import embed  # noqa: E402
from emer.data.corpora import load_corpus  # noqa: E402


def run(cache: Path, languages: list[str]) -> pd.DataFrame:
    """One pass over every corpus and language; one row of timings each."""
    rows = []
    for language in languages:
        for name in sm.SPACES:
            start = time.perf_counter()
            training = sm.training_rows(name, language)
            tick = time.perf_counter()
            embed(training["text"].tolist(), sm._encoder(), cache)
            embedded = time.perf_counter()
            model = sm.fit_subtitle_model(name, language, cache_dir=cache)
            fitted = time.perf_counter()
            frame = load_corpus(name)
            test = frame.loc[frame["split"] == "test", language].tolist()
            model.probabilities(test)
            labelled = time.perf_counter()
            chosen = model.selection[model.selection["chosen"]].iloc[0]
            rows.append(
                {
                    "corpus": name,
                    "language": language,
                    "fit+val texts": len(training),
                    "test texts": len(test),
                    "load s": round(tick - start, 2),
                    "embed s": round(embedded - tick, 2),
                    "fit s": round(fitted - embedded, 2),
                    "label test s": round(labelled - fitted, 2),
                    "test texts/s": round(len(test) / max(labelled - fitted, 1e-9)),
                    "C": model.c,
                    "val log-loss": round(float(chosen["val_log_loss"]), 4),
                    "total s": round(labelled - start, 2),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache-dir", default=None, help="cache folder (default: a fresh temporary one)")
    parser.add_argument("--languages", nargs="+", default=["en"], choices=list(sm.LANGUAGES))
    args = parser.parse_args()
    sm._encoder()  # loading the encoder (~2 s) is paid once per process, timed apart
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(args.cache_dir) if args.cache_dir else Path(scratch)
        for label in ("cold", "cached"):
            start = time.perf_counter()
            table = run(cache, args.languages)
            total = time.perf_counter() - start
            print(f"\n== {label} ({cache}) ==")
            print(table.to_string(index=False))
            print(
                f"{label}: {total:.1f} s for {table['fit+val texts'].sum() + table['test texts'].sum()} texts"
            )
        if len(args.languages) > 1:
            print("\nvalidation log-loss by subtitle language (lower is better):")
            print(table.pivot_table(index="corpus", columns="language", values="val log-loss", sort=False))


if __name__ == "__main__":
    main()
