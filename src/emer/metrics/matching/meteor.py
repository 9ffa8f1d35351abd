"""METEOR 1.5 (the jar shipped in pycocoevalcap) through its ``-stdio`` protocol.

Segment scores are the jar's. English: pycocoevalcap's options ``-l en -norm`` (exact, stem, WordNet
synonym and paraphrase modules). Chinese: ``-l en -lower -m exact -w 1.0`` on the jieba words with METEOR's
default parameters (alpha 0.85, beta 0.2, gamma 0.6, delta 0.75). METEOR has no Chinese stemmer, synonym or
paraphrase resources, so Chinese METEOR is the exact-word-match F-mean (recall-weighted) with METEOR's
fragmentation penalty; no Chinese word is on the English function-word list, so delta has no effect. The
corpus figure is the jar's aggregate, recomputed from the per-segment statistics.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from emer.metrics.matching.checks import check_language, one_line, same_length
from emer.metrics.matching.java import java_executable, pycoco_dir


@dataclass(frozen=True)
class MeteorConfig:
    """Options passed to the METEOR 1.5 jar and the parameters its score formula uses."""

    options: tuple[str, ...]
    alpha: float = 0.85
    beta: float = 0.2
    gamma: float = 0.6
    delta: float = 0.75
    weights: tuple[float, float, float, float] = (1.0, 0.6, 0.8, 0.6)  # exact, stem, synonym, paraphrase


METEOR_CONFIGS = {
    "en": MeteorConfig(options=("-l", "en", "-norm")),
    "zh": MeteorConfig(
        options=("-l", "en", "-lower", "-m", "exact", "-w", "1.0", "-p", "0.85 0.2 0.6 0.75"),
        weights=(1.0, 0.0, 0.0, 0.0),
    ),
}


class MeteorProcess:
    """A running METEOR 1.5 jar in ``-stdio`` mode. Use as a context manager."""

    def __init__(self, language: str) -> None:
        check_language(language)
        self.config = METEOR_CONFIGS[language]
        folder = pycoco_dir("meteor")
        command = [java_executable(), "-jar", "-Xmx2G", str(folder / "meteor-1.5.jar"), "-", "-", "-stdio"]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the jar; closed in close()
        self._proc = subprocess.Popen(
            [*command, *self.config.options],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def __enter__(self) -> MeteorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the jar and release its pipes."""
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        self._stderr.close()

    def _exchange(self, lines: list[str], n_answers: int) -> list[str]:
        """Write ``lines`` from a thread while reading ``n_answers`` lines (no pipe deadlock)."""

        def write() -> None:
            try:
                for line in lines:
                    self._proc.stdin.write(line.encode("utf-8") + b"\n")
                self._proc.stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = [self._proc.stdout.readline().decode("utf-8").strip() for _ in range(n_answers)]
        writer.join()
        if any(a == "" for a in answers):
            self._stderr.seek(0)
            message = self._stderr.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"METEOR jar stopped answering (exit code {self._proc.poll()}): {message}")
        return answers

    def statistics(self, preds: Sequence[str], golds: Sequence[str]) -> list[str]:
        """METEOR sufficient statistics (the jar's ``SCORE`` answer) of each (prediction, gold) pair."""
        same_length(preds, golds)
        clean = [one_line(t.replace("|||", " ")) for t in [*preds, *golds]]
        lines = [
            f"SCORE ||| {g} ||| {p}" for p, g in zip(clean[: len(preds)], clean[len(preds) :], strict=True)
        ]
        return self._exchange(lines, len(lines))

    def evaluate(self, stats: Sequence[str]) -> tuple[list[float], float]:
        """The jar's per-segment METEOR scores and its aggregate over ``stats`` (``EVAL``)."""
        if not stats:
            return [], float("nan")
        answers = self._exchange(["EVAL ||| " + " ||| ".join(stats)], len(stats) + 1)
        return [float(a) for a in answers[:-1]], float(answers[-1])


def meteor_scores(
    preds: Sequence[str],
    golds: Sequence[str],
    language: str,
    *,
    workers: int = 1,
    cache_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Per-sample METEOR of tokenised texts (the jar's segment scores) and the jar's statistics behind them.

    Columns: meteor, meteor_stats. ``workers`` jars share the pairs (each loads the paraphrase table:
    ~15 s and ~1 GB for English); the result does not depend on it. ``cache_dir`` keeps the statistics
    and score of every scored pair (``meteor-<language>.json``) so a rerun starts no jar.
    """
    same_length(preds, golds)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    cache = _MeteorCache(cache_dir, language)
    keys = [cache.key(p, g) for p, g in zip(preds, golds, strict=True)]
    todo = sorted({k: i for i, k in enumerate(keys) if k not in cache.entries}.values())
    if todo:
        chunks = [todo[w::workers] for w in range(min(workers, len(todo)))]
        found: dict[int, tuple[str, float]] = {}

        def run(chunk: list[int]) -> None:
            with MeteorProcess(language) as meteor:
                stats = meteor.statistics([preds[i] for i in chunk], [golds[i] for i in chunk])
                scores, _ = meteor.evaluate(stats)
            found.update(zip(chunk, zip(stats, scores, strict=True), strict=True))

        if len(chunks) == 1:
            run(chunks[0])
        else:
            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                list(pool.map(run, chunks))
        cache.entries.update((keys[i], found[i]) for i in todo)
        cache.save()
    entries = [cache.entries[k] for k in keys]
    return pd.DataFrame(
        {"meteor": np.array([e[1] for e in entries], dtype=float), "meteor_stats": [e[0] for e in entries]}
    )


class _MeteorCache:
    """(statistics, score) of scored pairs, keyed by a hash of the jar options and both tokenised texts."""

    def __init__(self, cache_dir: str | os.PathLike | None, language: str) -> None:
        check_language(language)
        self.options = " ".join(METEOR_CONFIGS[language].options)
        self.path = Path(cache_dir) / f"meteor-{language}.json" if cache_dir is not None else None
        self.entries: dict[str, tuple[str, float]] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.entries = {
                    k: (v[0], float(v[1])) for k, v in json.loads(self.path.read_text("utf-8")).items()
                }
            except (json.JSONDecodeError, TypeError, IndexError, ValueError) as exc:
                raise ValueError(f"{self.path}: not a METEOR cache ({exc}); delete the file") from None

    def key(self, pred: str, gold: str) -> str:
        text = "\x00".join(["meteor-1.5", self.options, pred, gold])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(dict(sorted(self.entries.items()))), encoding="utf-8")
        partial.replace(self.path)


def meteor_from_stats(stats: Sequence[str], language: str) -> float:
    """METEOR 1.5's score of summed statistics: its corpus aggregate (one row gives the segment score).

    As the jar does, a segment matched completely in one chunk adds no chunk to the sum (its
    fragmentation is 0); tests check this against the jar's ``EVAL`` answers.
    """
    check_language(language)
    if not len(stats):
        return float("nan")
    rows = meteor_rows(stats)
    return float(meteor_of_sums(rows.sum(axis=0, keepdims=True), METEOR_CONFIGS[language])[0])


@lru_cache(maxsize=100_000)
def _meteor_row(stats: str) -> tuple[float, ...]:
    return tuple(float(x) for x in stats.split())


def meteor_rows(stats: Sequence[str]) -> np.ndarray:
    """Parsed statistics (one row per segment), with the chunks of perfectly matched segments set to 0."""
    if not len(stats):
        return np.zeros((0, 23))
    rows = np.array([_meteor_row(s) for s in stats], dtype=float)
    if rows.ndim != 2 or rows.shape[1] < 11 or (rows.shape[1] - 7) % 4:
        raise ValueError(f"not METEOR 1.5 statistics: {stats[0]!r}")
    stages = rows[:, 4:-3].reshape(len(rows), -1, 4)  # per module: test/ref content, test/ref function
    perfect = (
        (stages[:, :, [0, 2]].sum(axis=(1, 2)) == rows[:, 0])
        & (stages[:, :, [1, 3]].sum(axis=(1, 2)) == rows[:, 1])
        & (rows[:, -3] == 1)
    )
    rows[perfect, -3] = 0.0
    return rows


def meteor_of_sums(table: np.ndarray, cfg: MeteorConfig) -> np.ndarray:
    """METEOR score of each row of summed statistics (groups × fields)."""
    test_len, ref_len, test_fn, ref_fn = table[:, 0], table[:, 1], table[:, 2], table[:, 3]
    stages = table[:, 4:-3].reshape(len(table), -1, 4)
    chunks, test_word_matches, ref_word_matches = table[:, -3], table[:, -2], table[:, -1]
    weights = np.asarray(cfg.weights[: stages.shape[1]])
    d = cfg.delta
    test_weighted = (d * stages[:, :, 0] + (1 - d) * stages[:, :, 2]) @ weights
    ref_weighted = (d * stages[:, :, 1] + (1 - d) * stages[:, :, 3]) @ weights
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = test_weighted / (d * (test_len - test_fn) + (1 - d) * test_fn)
        recall = ref_weighted / (d * (ref_len - ref_fn) + (1 - d) * ref_fn)
        fmean = precision * recall / (cfg.alpha * precision + (1 - cfg.alpha) * recall)
        frag = np.where(chunks == 0, 0.0, chunks / ((test_word_matches + ref_word_matches) / 2))
        score = fmean * (1 - cfg.gamma * frag**cfg.beta)
    return np.where(np.isnan(score), 0.0, np.maximum(score, 0.0))
