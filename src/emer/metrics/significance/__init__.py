"""Paired significance tests of system scores over samples: paired bootstrap, approximate randomization, Holm.

The tests work on any system-level score that is a function of per-sample sums (:mod:`.components`:
``ew_components``, ``mean_components``), so a resample or a permutation costs one sum, never a rescoring.

- :func:`paired_bootstrap` (:mod:`.bootstrap`): the same resample of samples for both systems (Koehn
  2004), the percentile interval of the difference and a two-sided p-value for "no difference";
- :func:`approximate_randomization` (:mod:`.randomization`): swap the two systems' rows of each sample
  with probability 1/2 (Riezler & Maxwell 2005); ``p = (#{|d_perm| >= |d_obs|} + 1) / (n_draws + 1)``;
- :func:`holm` (:mod:`.holm`): Holm–Bonferroni adjusted p-values over a family of comparisons;
- :func:`paired_comparisons` (:mod:`.comparisons`): all of these for many pairs of systems, as one table;
- :mod:`.draws`: the seeded draws the tests share (deterministic, no BLAS).

Every name is importable from here.
"""

from emer.metrics.significance.bootstrap import (
    P_METHODS,
    BootstrapResult,
    bootstrap_draws,
    bootstrap_interval,
    bootstrap_intervals,
    bootstrap_p_value,
    paired_bootstrap,
)
from emer.metrics.significance.comparisons import COMPARISON_COLUMNS, paired_comparisons
from emer.metrics.significance.components import Statistic, ew_components, ew_sample_arrays, mean_components
from emer.metrics.significance.draws import bootstrap_index, swap_masks
from emer.metrics.significance.holm import holm
from emer.metrics.significance.randomization import RandomizationResult, approximate_randomization

__all__ = [
    "COMPARISON_COLUMNS",
    "P_METHODS",
    "BootstrapResult",
    "RandomizationResult",
    "Statistic",
    "approximate_randomization",
    "bootstrap_draws",
    "bootstrap_index",
    "bootstrap_interval",
    "bootstrap_intervals",
    "bootstrap_p_value",
    "ew_components",
    "ew_sample_arrays",
    "holm",
    "mean_components",
    "paired_bootstrap",
    "paired_comparisons",
    "swap_masks",
]
