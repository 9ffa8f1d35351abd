"""Multinomial logistic regression (softmax) with an L2 penalty, fitted by Newton's method to convergence.

The objective is scikit-learn's ``LogisticRegression(C=c)`` (multinomial, intercept not penalised):
``0.5 Σ_k |w_k|² + c Σ_n -log p(y_n | x_n)``, plus ``0.5 (Σ_k b_k)²``, which only fixes the intercepts'
common offset (softmax probabilities do not depend on it), so the minimum is unique. Newton's method with
a backtracking line search runs until the step is below :data:`TOLERANCE`: the weights are then the exact
minimum up to float64 rounding on any machine, whatever the BLAS kernels (an iterative solver stopped at
a tolerance would leave differences that depend on them), as :func:`emer.labels.selector.fit_logistic`.

The Hessian (size (d + 1) K, the costly part: MELD's 10,000 x 385 features and seven classes) only sets
the direction of each step, so an approximation of it does: it is computed in float32 and kept for as
long as the steps it gives shrink fast (it is computed afresh when a step is more than :data:`REFRESH` of
the one before, or was shortened by the line search). The steps stop where the float64 gradient vanishes,
so neither choice moves the result.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve

#: Newton stops when no parameter moves by more than this.
TOLERANCE = 1e-10
#: The Hessian is computed again when a step is more than this share of the previous step.
REFRESH = 0.5
#: Within this step size of the minimum, Newton's steps are taken whole (no line search).
NEAR = 1e-6


def _with_intercept(x: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(x, dtype=np.float64), np.ones((len(x), 1))])


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax_probabilities(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Class probabilities (n, K) of features ``x`` (n, d) under weights ``theta`` (d + 1, K; the last row
    is the intercept)."""
    return np.exp(_log_softmax(_with_intercept(x) @ theta))


def _objective(x1: np.ndarray, onehot: np.ndarray, theta: np.ndarray, c: float) -> float:
    penalty = 0.5 * float((theta[:-1] ** 2).sum()) + 0.5 * float(theta[-1].sum()) ** 2
    return penalty - c * float((onehot * _log_softmax(x1 @ theta)).sum())


def _hessian(x1: np.ndarray, p: np.ndarray, c: float, dtype: type = np.float32) -> np.ndarray:
    """Hessian of the objective in the parameter order (class, feature), its products in ``dtype``."""
    n_classes, width = p.shape[1], x1.shape[1]
    size = n_classes * width
    hessian = np.zeros((size, size))
    xs = x1.astype(dtype)
    for k in range(n_classes):
        for m in range(k, n_classes):
            weight = (p[:, k] * ((k == m) - p[:, m])).astype(dtype)
            block = c * ((xs * weight[:, None]).T @ xs).astype(np.float64)
            hessian[k * width : (k + 1) * width, m * width : (m + 1) * width] = block
            if m != k:
                hessian[m * width : (m + 1) * width, k * width : (k + 1) * width] = block.T
    features = np.ones(width)
    features[-1] = 0.0
    hessian[np.diag_indices(size)] += np.tile(features, n_classes)  # 0.5 |w|²
    intercepts = np.arange(n_classes) * width + width - 1
    hessian[np.ix_(intercepts, intercepts)] += 1.0  # 0.5 (Σ b)²
    return hessian


def _factor(x1: np.ndarray, p: np.ndarray, c: float):
    """The Cholesky factor of the Hessian: from float32 products, else float64 ones, else with a ridge (a
    class that almost no sample has leaves a direction of tiny curvature)."""
    try:
        return cho_factor(_hessian(x1, p, c))
    except np.linalg.LinAlgError:
        hessian = _hessian(x1, p, c, np.float64)
    try:
        return cho_factor(hessian)
    except np.linalg.LinAlgError:
        return cho_factor(hessian + 1e-8 * np.abs(np.diag(hessian)).max() * np.eye(len(hessian)))


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    c: float,
    start: np.ndarray | None = None,
    max_iter: int = 100,
) -> np.ndarray:
    """Weights (d + 1, K) minimising the objective of the module docstring for features ``x`` (n, d) and
    class indices ``y`` (n,) in ``range(n_classes)``; ``start`` (e.g. the weights of a nearby ``c``) only
    changes how many steps it takes. A class no sample has gets probability 0 (weights 0, intercept -inf),
    as if it were not in the label space; the others are fitted as without it."""
    x1 = _with_intercept(x)
    y = np.asarray(y)
    if len(y) != len(x1) or len(y) == 0:
        raise ValueError(f"need as many class indices as rows of features (got {len(y)} and {len(x1)})")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"class indices must lie in 0..{n_classes - 1}")
    if c <= 0:
        raise ValueError(f"c must be positive, not {c}")
    present = np.unique(y)
    if len(present) < n_classes:
        theta = np.zeros((x1.shape[1], n_classes))
        theta[-1] = -np.inf
        if len(present) == 1:  # one class: probability 1, every weight 0 (the penalty's minimum)
            theta[-1, present] = 0.0
            return theta
        inner = None if start is None else np.asarray(start)[:, present]
        inner = inner if inner is None or np.isfinite(inner).all() else None
        theta[:, present] = fit_softmax(x, np.searchsorted(present, y), len(present), c, inner, max_iter)
        return theta
    onehot = np.zeros((len(y), n_classes))
    onehot[np.arange(len(y)), y] = 1.0
    theta = np.zeros((x1.shape[1], n_classes)) if start is None else np.array(start, dtype=np.float64)
    value = _objective(x1, onehot, theta, c)
    factor, last = None, np.inf
    for _ in range(max_iter):
        p = np.exp(_log_softmax(x1 @ theta))
        gradient = c * (x1.T @ (p - onehot))
        gradient[:-1] += theta[:-1]
        gradient[-1] += theta[-1].sum()
        if factor is None:
            factor = _factor(x1, p, c)
        step = cho_solve(factor, gradient.T.ravel()).reshape(n_classes, -1).T
        size = float(np.abs(step).max())
        if size < TOLERANCE:
            return theta - step
        t = 1.0
        # backtracking (Armijo) far from the minimum; near it, full steps (the objective's changes there
        # fall below its float64 resolution, and a line search would stall on that noise)
        while size > NEAR:
            trial_value = _objective(x1, onehot, theta - t * step, c)
            if trial_value <= value - 1e-4 * t * float((gradient * step).sum()) or t < 1e-8:
                break
            t /= 2
        theta = theta - t * step
        value = _objective(x1, onehot, theta, c)
        if t * size > REFRESH * last or t < 1.0:
            factor = None
        last = t * size
    raise RuntimeError(f"the softmax fit (c={c}) did not converge in {max_iter} Newton steps")
