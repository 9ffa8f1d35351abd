"""The signature of a scorecard: one line that pins what produced it (like sacrebleu's)."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from emer.version import __version__


class ScoringRun(Protocol):
    """What a signature and a scorecard read of a scoring run (:class:`emer.scoring.core.Scoring`)."""

    options: Any  # emer.scoring.core.ScoreOptions
    dataset: Any  # emer.data.datasets.Dataset
    families: tuple[str, ...]
    rank_by: str
    extraction_label: str
    mapping_label: str


def signature(scoring: ScoringRun) -> str:
    """One line that pins what produced a scorecard (like sacrebleu's signature)."""
    o, d = scoring.options, scoring.dataset
    parts = [
        f"emer-score:{__version__}",
        f"dataset:{d.name}@{d.sha256[:12]}",
        f"n:{len(d.samples)}",
        f"metrics:{'+'.join(scoring.families)}",
        f"rev:{o.revision}",
        f"unmapped:{o.choices.unmapped}",
        f"empty-gold:{o.choices.empty_gold}",
        f"average:{o.choices.average}",
        "parse:clean",
        f"chinese:{o.chinese}",
        f"from:{o.inputs}",
    ]
    scored, total = d.coverage
    if scored < total:
        subset = hashlib.sha256("\n".join(sorted(d.samples)).encode()).hexdigest()[:12]
        parts.append(f"subset:given({scored}/{total})@{subset}")
    if "hitrate" in scoring.families:
        parts.append(f"neutral:{o.choices.neutral}")
    if "sentiment" in scoring.families:
        parts.append(f"sentiment:{o.choices.sentiment}")
    if "matching" in scoring.families:
        parts.append(f"lang:{o.language}")
    if scoring.extraction_label:
        parts.append(f"extract:{scoring.extraction_label}")
    if scoring.mapping_label:
        parts.append(f"map:{scoring.mapping_label}")
    parts.append(f"boot:{o.n_boot}@{o.confidence:g}|seed:{o.seed}")
    return "|".join(parts)
