"""Connected components of a binary mask in numpy, for the DB text detector.

Why not scipy.ndimage or cv2: neither ships with this library. Labelling horizontal *runs*
instead of pixels keeps the work small for text maps (a text line is a few long runs per row), and
every step is a vectorised numpy call except a short convergence loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def dilate_2x2(mask: np.ndarray) -> np.ndarray:
    """Binary dilation with a 2x2 kernel anchored like cv2 (pixel grows up and to the left)."""
    out = mask.copy()
    out[:-1, :] |= mask[1:, :]
    out[:, :-1] |= mask[:, 1:]
    out[:-1, :-1] |= mask[1:, 1:]
    return out


@dataclass(frozen=True)
class Components:
    """Bounding boxes (x1/y1 exclusive) and pixel counts of 8-connected components."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    pixels: np.ndarray

    def __len__(self) -> int:
        return int(self.x0.shape[0])


def connected_components(mask: np.ndarray) -> Components:
    """8-connected components of a boolean mask.

    Why runs: a text map has few long horizontal runs, so labelling runs instead of pixels keeps
    the union-find small. Runs in adjacent rows touch when their column spans, widened by one for
    diagonals, intersect; those pairs are found with two ``searchsorted`` calls and merged by
    repeated min-label propagation with pointer jumping (converges in a few passes).
    """
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # exclusive; same row-major order as the starts
    n = rows.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Components(empty, empty, empty, empty, empty)
    stride = w + 2
    start_key = rows * stride + starts
    end_key = rows * stride + (ends - 1)
    prev = (rows - 1) * stride
    lo = np.searchsorted(end_key, prev + starts - 1, side="left")
    hi = np.searchsorted(start_key, prev + ends, side="right")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    labels = np.arange(n)
    if total:
        below = np.repeat(np.arange(n), counts)
        first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        above = first + np.arange(total)
        while True:
            low = np.minimum(labels[above], labels[below])
            new = labels.copy()
            np.minimum.at(new, above, low)
            np.minimum.at(new, below, low)
            new = new[new]
            if np.array_equal(new, labels):
                break
            labels = new
        while True:  # final pointer jumping so every run points at its root
            root = labels[labels]
            if np.array_equal(root, labels):
                break
            labels = root
    _, comp = np.unique(labels, return_inverse=True)
    k = int(comp.max()) + 1
    x0 = np.full(k, w, dtype=np.int64)
    y0 = np.full(k, h, dtype=np.int64)
    x1 = np.zeros(k, dtype=np.int64)
    y1 = np.zeros(k, dtype=np.int64)
    np.minimum.at(x0, comp, starts)
    np.maximum.at(x1, comp, ends)
    np.minimum.at(y0, comp, rows)
    np.maximum.at(y1, comp, rows + 1)
    pixels = np.bincount(comp, weights=ends - starts, minlength=k).astype(np.int64)
    return Components(x0, y0, x1, y1, pixels)
