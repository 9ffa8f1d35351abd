"""Time every matching metric on the released outputs: 30 English systems × 332 samples (EMER-v2 gold)
and 6 Chinese EMER-v1 baselines × 100 samples.

Usage: EMER_DATA_DIR=... HF_HUB_OFFLINE=1 python benchmarks/bench_matching_metrics.py
       [--workers 2] [--limit N] [--no-similarity] [--cache-dir DIR] [--save DIR]

Prints the load times first (sentence encoder, jieba dictionary, one JVM start for the PTB tokenizer
and for each METEOR configuration), then the seconds of each metric over all outputs, against the 30 s
target. METEOR's step includes starting its jar(s) again (the English one loads a 60 MB paraphrase
table); the line below it gives the time net of that start. With --cache-dir, METEOR statistics and
embeddings are read from / written to DIR (a second run then times the cache, not the metrics).
--save DIR writes the per-sample and per-system tables there as CSV (outside the repository).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from emer.data import load_emer_v1, load_emer_v2, load_system_outputs, load_v1_baseline_outputs
from emer.metrics import matching as m

TARGET_S = 30.0
STEPS = ["tokenize", "ngram_counts", "bleu", "meteor", "rouge_l", "cider", "similarity"]


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _meteor_start(language: str) -> float:
    def start() -> None:
        with m.MeteorProcess(language) as meteor:
            meteor.statistics(["warm up"], ["warm up"])

    return _timed(start)


def _limit(frame: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    if limit is None:
        return frame
    keep = sorted(set(frame["sample"]))[:limit]
    return frame[frame["sample"].isin(keep)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="METEOR jars run in parallel (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="first N samples of every system only")
    parser.add_argument("--no-similarity", action="store_true", help="skip the sentence embeddings")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--save", type=Path, default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    english = _limit(load_system_outputs(), args.limit)
    chinese = _limit(load_v1_baseline_outputs(), args.limit)
    gold_en = m.gold_descriptions(load_emer_v2(), "en")
    gold_zh = m.gold_descriptions(load_emer_v1(), "zh")
    gold_en = {s: t for s, t in gold_en.items() if s in set(english["sample"])}
    gold_zh = {s: t for s, t in gold_zh.items() if s in set(chinese["sample"])}
    data_s = time.perf_counter() - start

    loads: dict[str, float] = {}
    encoder = None
    if not args.no_similarity:
        start = time.perf_counter()
        encoder = m.load_sentence_encoder()
        loads["sentence encoder (all-MiniLM-L6-v2)"] = time.perf_counter() - start
    loads["jieba dictionary"] = _timed(lambda: m.tokenize_chinese(["预热"]))
    loads["PTB tokenizer JVM start"] = _timed(lambda: m.tokenize_english(["warm up"]))
    meteor_start = {language: _meteor_start(language) for language in ("en", "zh")}
    for language, seconds in meteor_start.items():
        loads[f"METEOR jar start ({language})"] = seconds

    timings: dict[str, dict[str, float]] = {"en": {}, "zh": {}}
    tables = {}
    start = time.perf_counter()
    tables["en"] = m.matching_scores(
        english,
        gold_en,
        "en",
        encoder=encoder,
        meteor_workers=args.workers,
        cache_dir=args.cache_dir,
        timings=timings["en"],
    )
    total_en = time.perf_counter() - start
    start = time.perf_counter()
    tables["zh"] = m.matching_scores(
        chinese, gold_zh, "zh", meteor_workers=args.workers, cache_dir=args.cache_dir, timings=timings["zh"]
    )
    total_zh = time.perf_counter() - start

    n_en = english[["system", "setting"]].drop_duplicates().shape[0]
    n_zh = chinese["system"].nunique()
    print(f"outputs: en {n_en} systems × {len(gold_en)} samples = {len(english)}; ", end="")
    print(f"zh {n_zh} systems × {len(gold_zh)} samples = {len(chinese)}; METEOR workers {args.workers}")
    print(f"load data + gold                       {data_s:8.2f} s")
    for name, seconds in loads.items():
        print(f"load {name:<34}{seconds:8.2f} s")
    print(f"{'step':<39}{'en':>8}   {'zh':>8}")
    for step in STEPS:
        print(f"{step:<39}{timings['en'].get(step, 0):8.2f} s {timings['zh'].get(step, 0):8.2f} s")
        if step == "meteor" and all(
            timings[lang].get("meteor", 0) > meteor_start[lang] for lang in ("en", "zh")
        ):
            net = [timings[lang]["meteor"] - meteor_start[lang] for lang in ("en", "zh")]
            print(f"{'  meteor net of one jar start':<39}{net[0]:8.2f} s {net[1]:8.2f} s")
    print(f"{'total (matching_scores)':<39}{total_en:8.2f} s {total_zh:8.2f} s   target {TARGET_S:.0f} s")
    cheap = sum(
        timings["en"].get(s, 0) + timings["zh"].get(s, 0) for s in STEPS if s not in ("meteor", "similarity")
    )
    print(f"{'BLEU + ROUGE-L + CIDEr incl. tokenizing':<39}{cheap:8.2f} s (en + zh)")

    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        for language, table in tables.items():
            table.to_csv(args.save / f"matching_per_sample_{language}.csv", index=False)
            m.matching_system_table(table).to_csv(
                args.save / f"matching_per_system_{language}.csv", index=False
            )
        print(f"tables written to {args.save}")


if __name__ == "__main__":
    main()
