"""Text preparation for the matching metrics.

English: pycocoevalcap's Stanford PTB tokenizer (its CoreNLP 3.4.1 jar, ``-preserveLines -lowerCase``) and
its punctuation filter, as in the COCO caption evaluation. Chinese: jieba 0.42.1 (precise mode, HMM on, a
private ``jieba.Tokenizer`` on the default dictionary), lower-cased, punctuation-only tokens dropped, so the
n-gram metrics count words, not characters.
"""

from __future__ import annotations

import logging
import subprocess
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any

from emer.metrics.matching.checks import check_language, one_line
from emer.metrics.matching.java import java_executable, pycoco_dir


def tokenize_english(texts: Sequence[str]) -> list[str]:
    """PTB-tokenise, lower-case and drop punctuation tokens exactly as pycocoevalcap's PTBTokenizer.

    The jar reads the lines from standard input instead of a temporary file inside site-packages.
    """
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS, STANFORD_CORENLP_3_4_1_JAR

    if not texts:
        return []
    java = java_executable()
    jar = pycoco_dir("tokenizer") / STANFORD_CORENLP_3_4_1_JAR
    lines = [one_line(t) for t in texts]
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
        words = (w.strip().lower() for w in tokenizer.lcut(one_line(text), HMM=True))
        result.append(" ".join(w for w in words if w and not _is_punctuation(w)))
    return result


def tokenize(texts: Sequence[str], language: str) -> list[str]:
    """Space-joined tokens of each text: PTB for ``en``, jieba words for ``zh``."""
    check_language(language)
    return tokenize_english(texts) if language == "en" else tokenize_chinese(texts)
