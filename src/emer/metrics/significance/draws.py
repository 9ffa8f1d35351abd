"""The draws the tests share and the checks on what they are given.

Determinism: draws come from ``numpy.random.default_rng`` seeded with ``seed`` (the bootstrap index matrix
is the one :func:`emer.metrics.wheel.ew_intervals` draws for the same seed; the randomization masks come
from an independent child stream of the same seed), and draw sums are computed with ``np.einsum`` (numpy's
own loops in a fixed order, no BLAS), so results are identical floats for the same inputs and seed on one
machine, whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from emer.metrics.significance.components import Statistic


def check_draws(n_draws: int, confidence: float | None = None) -> None:
    """Refuse a draw count below 1 (or not an integer) and a confidence outside (0, 1)."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be an integer of at least 1, not {n_draws!r}")
    if confidence is not None and not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")


def bootstrap_index(n_samples: int, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Resample indices, shape (n_draws, n_samples): the draws of :func:`ew_intervals` for the same seed."""
    check_draws(n_draws)
    if n_samples < 1:
        raise ValueError("there are no samples to resample")
    return np.random.default_rng(seed).integers(0, n_samples, size=(n_draws, n_samples))


def swap_masks(n_samples: int, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Randomization masks, bool (n_draws, n_samples): True swaps the two systems' rows of that sample.

    Drawn from the child stream ``SeedSequence(seed, spawn_key=(1,))``, independent of
    :func:`bootstrap_index` for the same seed.
    """
    check_draws(n_draws)
    if n_samples < 1:
        raise ValueError("there are no samples to permute")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    return rng.integers(0, 2, size=(n_draws, n_samples)).astype(bool)


def draw_counts(index: np.ndarray, n_samples: int) -> np.ndarray:
    """How often each sample is drawn in each row of ``index``: float (n_draws, n_samples)."""
    n_draws = index.shape[0]
    flat = (index + n_samples * np.arange(n_draws)[:, None]).ravel()
    return np.bincount(flat, minlength=n_draws * n_samples).reshape(n_draws, n_samples).astype(float)


def weighted_sums(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """weights @ x with numpy's einsum loops (no BLAS: the same floats whatever the thread count)."""
    return np.einsum("dn,nc->dc", weights, x, optimize=False)


def as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    """One system's components as a finite float matrix (n_samples, c), or an error naming the system."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"system {name!r}: components must have shape (n_samples, c), not {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"system {name!r} has no samples; nothing to compare")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        raise ValueError(
            f"system {name!r} has NaN or infinite components at (sample row, component) {bad[:3].tolist()}; "
            "build components with ew_components/mean_components, which zero unscored cells"
        )
    return x


def check_systems(systems: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every system's components as a matrix; all must have the same shape (same samples, same components)."""
    out = {name: as_matrix(x, name) for name, x in systems.items()}
    shapes = {name: x.shape for name, x in out.items()}
    if len(set(shapes.values())) > 1:
        first = next(iter(shapes))
        odd = [f"{n!r} {s}" for n, s in shapes.items() if s != shapes[first]]
        raise ValueError(
            f"systems must be scored on the same samples and components: {first!r} has shape "
            f"{shapes[first]} but {', '.join(odd)}; align every system to one ordered sample list"
        )
    return out


def evaluate(statistic: Statistic, sums: np.ndarray, name: str) -> np.ndarray:
    """``statistic`` of ``sums``, checked: one finite score per row of sums."""
    values = np.asarray(statistic(sums), dtype=float)
    if values.shape != sums.shape[:-1]:
        raise ValueError(
            f"statistic must map sums of shape {sums.shape} to shape {sums.shape[:-1]} (one score per "
            f"row), but returned shape {values.shape}"
        )
    if sums.ndim == 1 and not np.isfinite(values):
        raise ValueError(f"statistic of system {name!r} is {values} on all samples; it cannot be compared")
    bad = np.count_nonzero(~np.isfinite(values))
    if bad:
        raise ValueError(
            f"statistic of system {name!r} is NaN or infinite in {bad} of {values.size} draws; define it for "
            "draws that lack scored samples (the component helpers count 0 there)"
        )
    return values


def check_index(index: np.ndarray, n_samples: int) -> np.ndarray:
    """A precomputed bootstrap index, checked: integer sample indices of shape (n_draws, n_samples)."""
    index = np.asarray(index)
    if index.ndim != 2 or index.shape[1] != n_samples or index.shape[0] < 1:
        raise ValueError(f"index must have shape (n_draws, {n_samples}), not {index.shape}")
    if not np.issubdtype(index.dtype, np.integer) or index.min() < 0 or index.max() >= n_samples:
        raise ValueError(f"index must hold integer sample indices in [0, {n_samples})")
    return index


def check_masks(masks: np.ndarray, n_samples: int) -> np.ndarray:
    """Precomputed swap masks, checked: bool of shape (n_draws, n_samples)."""
    masks = np.asarray(masks)
    if masks.ndim != 2 or masks.shape[1] != n_samples or masks.shape[0] < 1 or masks.dtype != bool:
        raise ValueError(f"masks must be a bool array of shape (n_draws, {n_samples}), not {masks.shape}")
    return masks
