"""PNG plots of learning curves: mean over seeds with a one-standard-error band."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def mean_and_se(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the leading (seed) axis."""
    curves = np.asarray(curves, np.float64)
    n = curves.shape[0]
    se = curves.std(0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(curves.shape[1:])
    return curves.mean(0), se


def plot_curves(curves: Mapping[str, np.ndarray], path: str | Path, title: str, ylabel: str,
                xlabel: str = "iteration", cumulative: bool = False,
                hlines: Sequence[tuple[float, str]] = (), logy: bool = False) -> Path:
    """One line per label (``curves[label]`` is ``[seeds, iterations]``), mean +- SE over seeds."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for label, c in curves.items():
        c = np.asarray(c, np.float64)
        if cumulative:
            c = np.cumsum(c, axis=-1)
        mean, se = mean_and_se(c)
        x = np.arange(1, mean.shape[0] + 1)
        ax.plot(x, mean, label=label, lw=1.5)
        ax.fill_between(x, mean - se, mean + se, alpha=0.2)
    for y, label in hlines:
        ax.axhline(y, ls="--", color="k", lw=1, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_scatter(x: Sequence[float], y: Sequence[float], path: str | Path, title: str,
                 xlabel: str, ylabel: str, labels: Sequence[str] | None = None,
                 loglog: bool = False, diagonal: bool = False) -> Path:
    """A scatter plot (e.g. one algorithm's sample complexity against another's)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 5.0), dpi=110)
    ax.scatter(x, y, s=20)
    if labels is not None:
        for xi, yi, lab in zip(x, y, labels):
            ax.annotate(lab, (xi, yi), fontsize=7)
    if diagonal:
        lo, hi = min(min(x), min(y)), max(max(x), max(y))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
