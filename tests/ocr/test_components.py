"""Connected components in numpy, checked against a plain flood fill on random masks."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from headroom_edge.ocr.components import connected_components, dilate_2x2


def flood_fill_boxes(mask: np.ndarray) -> set[tuple[int, int, int, int, int]]:
    """Reference 8-connected labelling: (x0, y0, x1, y1, pixels) per component."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = set()
    for y in range(h):
        for x in range(w):
            if not mask[y, x] or seen[y, x]:
                continue
            seen[y, x] = True
            queue = deque([(y, x)])
            ys, xs = [], []
            while queue:
                cy, cx = queue.popleft()
                ys.append(cy)
                xs.append(cx)
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        ny, nx = cy + dy, cx + dx
                        if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                            seen[ny, nx] = True
                            queue.append((ny, nx))
            out.add((min(xs), min(ys), max(xs) + 1, max(ys) + 1, len(xs)))
    return out


def as_set(mask: np.ndarray) -> set[tuple[int, int, int, int, int]]:
    c = connected_components(mask)
    return {
        (int(c.x0[i]), int(c.y0[i]), int(c.x1[i]), int(c.y1[i]), int(c.pixels[i]))
        for i in range(len(c))
    }


@pytest.mark.parametrize("density", [0.05, 0.2, 0.45, 0.6])
@pytest.mark.parametrize("seed", range(4))
def test_matches_flood_fill_on_random_masks(density: float, seed: int) -> None:
    mask = np.random.default_rng(seed).random((37, 53)) < density
    assert as_set(mask) == flood_fill_boxes(mask)


def test_spiral_needs_many_propagation_steps() -> None:
    """A long snake whose runs alternate direction: one component, however it winds."""
    mask = np.zeros((41, 41), dtype=bool)
    for k, row in enumerate(range(0, 41, 2)):
        mask[row, 1:40] = True
        if row + 1 < 41:
            mask[row + 1, 39 if k % 2 == 0 else 1] = True  # connector at alternating ends
    assert as_set(mask) == flood_fill_boxes(mask)
    assert len(connected_components(mask)) == 1


def test_diagonal_pixels_connect() -> None:
    mask = np.eye(6, dtype=bool)
    assert as_set(mask) == {(0, 0, 6, 6, 6)}


def test_empty_and_full_masks() -> None:
    assert len(connected_components(np.zeros((10, 12), dtype=bool))) == 0
    assert as_set(np.ones((10, 12), dtype=bool)) == {(0, 0, 12, 10, 120)}


def test_dilate_grows_up_and_left_like_cv2() -> None:
    mask = np.zeros((5, 5), dtype=bool)
    mask[2, 2] = True
    grown = dilate_2x2(mask)
    ys, xs = np.nonzero(grown)
    assert set(zip(ys.tolist(), xs.tolist(), strict=True)) == {(1, 1), (1, 2), (2, 1), (2, 2)}
