"""The lmms-eval tasks ``emer`` ships: which dataset, which subtitle strategy, which scores each reports.

- ``emer_ovmerd_s0`` / ``emer_ovmerd_s1``: OV-MERD (the 332 EMER-v2 samples) under S0 (no subtitle) and
  S1 (the subtitle in the prompt); scores: M-avg and the rest of the emotion-wheel family.
- ``emer_unibench_<dataset>``: each of MER-UniBench's nine datasets under S1 (the benchmark's models read
  the subtitle); scores: the dataset's headline (hit rate, sentiment, or the EW score of OV-MERD+) as
  ``unibench_score``. The group ``emer_mer_unibench`` averages it over the nine, as the field's table does.

Every task also reports ``signature`` (the scorecard's) and ``predictions`` (the file ``emer score``
rescores), both as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emer.data.datasets import get_spec, unibench_specs
from emer.scoring.families import EW_ORDER

GROUP = "emer_mer_unibench"
UNIBENCH_SCORE = "unibench_score"
TEXT_METRICS = ("signature", "predictions")
#: The text metric naming the scorecard metric behind ``unibench_score``.
SCORE_NAME = "score_name"
#: MER-UniBench's headline where it is not the scorecard's ranking score (used when the scorecard has it).
UNIBENCH_HEADLINE = {"ovmerd-plus": ("L1-avg",)}


def metric_key(name: str) -> str:
    """A scorecard metric name as an lmms-eval metric name: ``M-avg`` -> ``m_avg``, ``W1-L2`` -> ``w1_l2``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class TaskSpec:
    """One lmms-eval task: its dataset in ``emer``'s registry and its subtitle strategy (S0 or S1)."""

    task: str
    dataset: str
    strategy: str
    scores: tuple[str, ...]  # scorecard metric names reported as numbers (unibench: the headline instead)
    unibench: bool = False

    @property
    def metrics(self) -> tuple[str, ...]:
        """The lmms-eval metric names, numbers first, then the text ones."""
        if self.unibench:
            return (UNIBENCH_SCORE, SCORE_NAME, *TEXT_METRICS)
        return (*(metric_key(s) for s in self.scores), *TEXT_METRICS)


def _task_name(dataset: str) -> str:
    return "emer_unibench_" + dataset.removesuffix("-test1").replace("-", "_")


def _tasks() -> dict[str, TaskSpec]:
    ew = ("M-avg", *[m for m in EW_ORDER if m != "M-avg"])
    found = [TaskSpec(f"emer_ovmerd_{s.lower()}", "ovmerd", s, ew) for s in ("S0", "S1")]
    for spec in unibench_specs():
        found.append(TaskSpec(_task_name(spec.name), spec.name, "S1", (), unibench=True))
    return {t.task: t for t in found}


TASKS: dict[str, TaskSpec] = _tasks()


def get_task(name: str) -> TaskSpec:
    """The task ``name``; a clear error naming the known ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown emer lmms-eval task {name!r}; known: {', '.join(TASKS)}") from None


def unibench_tasks() -> list[TaskSpec]:
    """The group's tasks, in MER-UniBench's column order."""
    return [t for t in TASKS.values() if t.unibench]


def title(task: TaskSpec) -> str:
    return f"{get_spec(task.dataset).title} ({task.strategy})"
