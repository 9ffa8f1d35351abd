"""MER-UniBench's subtitle rows: the fitted subtitle model beside a majority-class and a lexicon baseline,
on every dataset with public labels and transcripts (MER2023 test1, MELD, IEMOCAP, CMU-MOSI, CH-SIMS,
CH-SIMS v2), scored by ``emer score`` the field's way, validation and test side by side, with paired tests.

The three systems answer each sample with one label (class datasets) or one sentiment:

- ``subtitle-baseline``: :mod:`emer.clues.subtitle_model`'s most probable class among those the hit rate
  can credit (every class but ``neutral``: neutral gold is skipped and a neutral answer never hits), or
  its more probable sentiment (``positive`` / ``negative``; it never answers ``neutral``);
- ``majority-class``: the most frequent of those classes (sentiments) in the data the model was fitted on;
- ``lexicon``: the lexical clue's reading (:func:`emer.clues.lexical.read_lexical`; NRC for English,
  DUTIR for Chinese) of the subtitle: its most mentioned emotion category as the label (none when no word
  is in the lexicon), or the sign of its positive minus negative words. Which subtitle it reads, English
  or Chinese, is chosen on the validation part (the higher headline; a tie: the language spoken).

Development figures are those of the validation part (the model's weights fitted without it; the
majority class of the fit part); test figures those of the final model on the benchmark's test split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emer.clues.lexical import DUTIR, NRC_EMOTIONS, read_lexical
from emer.clues.subtitle_model import (
    SubtitleModel,
    default_cache_dir,
    development_parts,
    fit_subtitle_model,
    gold_set_samples,
)
from emer.data.corpora import get_corpus, load_corpus
from emer.data.datasets import Dataset, get_spec
from emer.scoring import score
from emer.scoring.core import ScoreOptions, Scoring
from emer.scoring.unibench import COLUMNS, METRICS, score_unibench

DataDir = str | os.PathLike | None
SYSTEMS = ("subtitle-baseline", "majority-class", "lexicon")
LEXICON_LANGUAGES = ("en", "zh")
CORPORA = ("mer2023", "meld", "iemocap", "cmumosi", "sims", "simsv2")
PAIRED_COLUMNS = ["dataset", "metric", "versus", "delta", "low", "high", "p_bootstrap", "p_randomization"]
PAIRED_COLUMNS += ["p_holm", "verdict"]


@dataclass
class SubtitleBaseline:
    """The tables of notebook 11 (see :func:`subtitle_baseline`)."""

    table: pd.DataFrame  # COLUMNS of emer.scoring.unibench (tables/unibench.csv)
    wide: pd.DataFrame  # the field's layout: one row per system
    development: pd.DataFrame  # dataset, metric, system, validation, test
    paired: pd.DataFrame  # PAIRED_COLUMNS: subtitle-baseline against each baseline on the test split
    models: pd.DataFrame  # one row per model: classes, sizes, C chosen
    selection: pd.DataFrame  # the validation log-loss and accuracy of every C tried
    signature: str

    def per_dataset(self) -> pd.DataFrame:
        """One row per dataset: each system's validation and test headline and the paired verdicts."""
        dev = self.development.pivot_table(
            index=["dataset", "metric"], columns="system", values=["validation", "test"], sort=False
        )
        dev.columns = [f"{system} {part}" for part, system in dev.columns]
        order = [f"{s} {p}" for s in SYSTEMS for p in ("validation", "test")]
        dev = dev[order].reset_index()
        verdicts = self.paired.pivot_table(
            index="dataset", columns="versus", values="verdict", aggfunc="first"
        )
        verdicts.columns = [f"vs {c}" for c in verdicts.columns]
        return dev.merge(verdicts.reset_index(), on="dataset", how="left")


def _scored_classes(model: SubtitleModel) -> list[int]:
    return [k for k, c in enumerate(model.classes) if c != "neutral"]


def _model_answers(model: SubtitleModel, texts: list[str], development: bool) -> list[str]:
    probs = model.probabilities(texts, development=development)
    scored = _scored_classes(model)
    return [model.classes[scored[int(row[scored].argmax())]] for row in probs]


def _majority(model: SubtitleModel, labels: pd.Series) -> str:
    counts = labels.value_counts()
    scored = [model.classes[k] for k in _scored_classes(model)]
    return max(scored, key=lambda c: (int(counts.get(c, 0)), -scored.index(c)))


def lexicon_answer(text: str, sentiment: bool) -> str:
    """The lexicon baseline's answer: its most mentioned category (English name; ties by name) or "",
    or the sentiment of its polarity words (``neutral`` on a tie)."""
    reading = read_lexical(text)
    if sentiment:
        pos, neg = reading.polarity.get("positive", 0), reading.polarity.get("negative", 0)
        return "positive" if pos > neg else "negative" if neg > pos else "neutral"
    counts = {c: n for c, n in reading.counts.items() if reading.lexicon == "DUTIR" or c in NRC_EMOTIONS}
    if not counts:
        return ""
    top = min(counts, key=lambda c: (-counts[c], c))
    return DUTIR.get(top, top) if reading.lexicon == "DUTIR" else top


def corpus_answers(model: SubtitleModel, data_dir: DataDir = None, exclude=None) -> pd.DataFrame:
    """Every system's answer on the validation part and the test split of the model's corpus.

    Columns: part (validation / test), system, sample, answer, gold (class word or sentiment value). The
    lexicon is there twice, ``lexicon (en)`` and ``lexicon (zh)`` (see :func:`choose_lexicon`).
    """
    corpus = get_corpus(model.space.corpus)
    frame = load_corpus(corpus.name, data_dir)
    excluded = gold_set_samples(data_dir) if exclude is None else frozenset(exclude)
    frame["part"] = development_parts(model.space, frame, excluded).to_numpy()
    fit_labels = frame.set_index("sample").loc[list(model.fit_samples), "label"]
    dev_labels = fit_labels.drop(list(model.val_samples), errors="ignore")
    rows = []
    for part, chosen, development in (("validation", "val", True), ("test", "test", False)):
        rows_here = frame[frame["part"] == chosen]
        if chosen == "val":
            rows_here = rows_here[rows_here["sample"].isin(set(model.val_samples))]
        texts = rows_here[model.language].tolist()
        gold = rows_here["value"] if model.space.sentiment else rows_here["label"]
        answers = {
            "subtitle-baseline": _model_answers(model, texts, development),
            "majority-class": [_majority(model, dev_labels if development else fit_labels)] * len(texts),
        }
        for language in LEXICON_LANGUAGES:
            answers[f"lexicon ({language})"] = [
                lexicon_answer(t, model.space.sentiment) for t in rows_here[language]
            ]
        for system in answers:
            rows.append(
                pd.DataFrame(
                    {
                        "part": part,
                        "system": system,
                        "sample": rows_here["sample"].to_numpy(),
                        "answer": answers[system],
                        "gold": gold.to_numpy(),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def write_predictions(answers: pd.DataFrame, dataset: str, sentiment: bool, root: Path) -> None:
    """``root/<part>/<system>/<dataset>.csv`` (``name,openset`` or ``name,sentiment``), our layout of
    :mod:`emer.scoring.unibench`."""
    for (part, system), rows in answers.groupby(["part", "system"], sort=True):
        folder = root / part / system
        folder.mkdir(parents=True, exist_ok=True)
        if sentiment:
            frame = pd.DataFrame({"name": rows["sample"], "sentiment": rows["answer"]})
        else:
            frame = pd.DataFrame(
                {"name": rows["sample"], "openset": [f"[{a}]" if a else "[]" for a in rows["answer"]]}
            )
        frame.sort_values("name").to_csv(folder / f"{dataset}.csv", index=False, lineterminator="\n")


def _items(root: Path, part: str, dataset: str, systems=SYSTEMS) -> list[str]:
    return [f"{system}={root / part / system / f'{dataset}.csv'}" for system in systems]


def choose_lexicon(
    answers: pd.DataFrame, validation: dict[str, float], spoken: str
) -> tuple[pd.DataFrame, str]:
    """Keep the lexicon reading of the language with the higher validation headline (a tie: ``spoken``),
    named ``lexicon``; returns the answers and the language."""
    scores = {language: validation[f"lexicon ({language})"] for language in LEXICON_LANGUAGES}
    best = max(LEXICON_LANGUAGES, key=lambda language: (scores[language], language == spoken))
    kept = answers[
        ~answers["system"].str.startswith("lexicon (") | (answers["system"] == f"lexicon ({best})")
    ]
    return kept.replace({"system": {f"lexicon ({best})": "lexicon"}}), best


def _validation_scores(answers: pd.DataFrame, dataset: str, sentiment: bool, root: Path, data_dir) -> dict:
    """The headline of each system on the validation part, scored as ``emer score`` scores the test split."""
    spec = get_spec(dataset)
    gold = answers[(answers["part"] == "validation") & (answers["system"] == SYSTEMS[0])]
    pairs = dict(zip(gold["sample"], gold["gold"], strict=True))
    kind = {"valence": {s: float(v) for s, v in pairs.items()}} if sentiment else {"onehot": pairs}
    val = Dataset(spec, sorted(pairs), [], **kind)
    options = ScoreOptions(dataset=dataset, baselines=False, n_boot=0, detail=False)
    systems = sorted(set(answers["system"]))
    card = Scoring(options, data_dir, dataset=val).run(_items(root, "validation", dataset, systems))
    headline = METRICS[spec.gold][0]
    return {r.name: r.value(headline) for r in card.submitted}


def _paired(root: Path, dataset: str, data_dir, n_boot: int, seed: int) -> pd.DataFrame:
    card = score(
        _items(root, "test", dataset), dataset, data_dir=data_dir, n_boot=n_boot, seed=seed, baselines=False
    )
    rows = card.paired[card.paired["family"] == f"{SYSTEMS[0]} vs others"]
    spec = get_spec(dataset)
    out = pd.DataFrame(
        {
            "dataset": spec.unibench,
            "metric": METRICS[spec.gold][0],
            "versus": rows["system_b"].to_numpy(),
            **{c: rows[c].to_numpy() for c in PAIRED_COLUMNS[3:-1]},
        }
    )
    out["verdict"] = [
        ("better" if d > 0 else "worse") if significant else "no significant difference"
        for d, significant in zip(rows["delta"], rows["significant"], strict=True)
    ]
    return out


def subtitle_baseline(
    corpora: list[str] | tuple[str, ...] = CORPORA,
    data_dir: DataDir = None,
    cache_dir: str | os.PathLike | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    limit: int = 0,
) -> SubtitleBaseline:
    """Fit the subtitle model of each corpus (cached under ``cache_dir``), write the three systems'
    predictions there (``predictions/<part>/<system>/<dataset>.csv``) and score them."""
    unknown = sorted(set(corpora) - set(CORPORA))
    if unknown:
        raise ValueError(f"unknown corpora {unknown}; choose among {', '.join(CORPORA)}")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    predictions = root / "predictions" / ("all" if not limit else f"limit-{limit}")
    development, paired, models, selection = [], [], [], []
    for name in corpora:
        model = fit_subtitle_model(name, data_dir=data_dir, cache_dir=root, limit=limit)
        corpus = get_corpus(name)
        spec = get_spec(corpus.dataset)
        answers = corpus_answers(model, data_dir)
        write_predictions(answers, corpus.dataset, model.space.sentiment, predictions)
        val = _validation_scores(answers, corpus.dataset, model.space.sentiment, predictions, data_dir)
        answers, lexicon = choose_lexicon(answers, val, corpus.language)
        val["lexicon"] = val[f"lexicon ({lexicon})"]
        write_predictions(answers, corpus.dataset, model.space.sentiment, predictions)
        paired.append(_paired(predictions, corpus.dataset, data_dir, n_boot, seed))
        development.append(
            pd.DataFrame(
                {"dataset": spec.unibench, "metric": METRICS[spec.gold][0], "system": SYSTEMS}
            ).assign(validation=[val[s] for s in SYSTEMS])
        )
        models.append(_model_row(model, answers, spec.unibench) | {"lexicon reads": lexicon})
        # the log-loss moves in its ~8th decimal between CPUs (float32 embeddings): 3 decimals are stable
        selection.append(
            model.selection.assign(
                dataset=spec.unibench, val_log_loss=model.selection["val_log_loss"].round(3)
            )
        )
    result = score_unibench(
        [f"{s}={predictions / 'test' / s}" for s in SYSTEMS],
        data_dir=data_dir,
        n_boot=n_boot,
        seed=seed,
        beside=False,
    )
    table = result.table[result.table["selection"] == "last"].reset_index(drop=True)[COLUMNS]
    test = table.rename(columns={"value": "test"})[["system", "dataset", "metric", "test"]]
    dev = pd.concat(development, ignore_index=True).merge(
        test, on=["system", "dataset", "metric"], how="left"
    )
    return SubtitleBaseline(
        table=table,
        wide=result.wide("last").drop(columns="selection"),
        development=dev[["dataset", "metric", "system", "validation", "test"]],
        paired=pd.concat(paired, ignore_index=True)[PAIRED_COLUMNS],
        models=pd.DataFrame(models),
        selection=pd.concat(selection, ignore_index=True)[
            ["dataset", "C", "val_log_loss", "val_accuracy", "chosen"]
        ],
        signature=result.signature,
    )


def _model_row(model: SubtitleModel, answers: pd.DataFrame, dataset: str) -> dict:
    sizes = answers[answers["system"] == SYSTEMS[0]]["part"].value_counts()
    return {
        "dataset": dataset,
        "label space": ", ".join(model.classes),
        "features": f"all-MiniLM-L6-v2 ({model.language} subtitle)",
        "validation part": model.space.validation,
        "n fit": len(model.fit_samples),
        "n validation": len(model.val_samples),
        "n test": int(sizes.get("test", 0)),
        "C": model.c,
        "model": model.identity,
    }
