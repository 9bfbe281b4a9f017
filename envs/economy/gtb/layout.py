"""Gather-Trade-Build maps (spec §2): the Open-Quadrant layout, generated procedurally, host-side.

Foundation's paper map (``quadrant_25x25_20each_30clump.txt``) is a 25x25 grid cut into four
quadrants by water walls with gaps, with 20 wood and 20 stone source tiles in clumps. [design] We
generate that shape from a seed instead of shipping the file: water on the middle row and column,
one gap in the middle of each of the four wall arms; wood clumped in the top-left quadrant (and a
few top-right), stone clumped in the bottom-left (and a few top-right); the bottom-right quadrant is
resource-free, so agents there must trade or travel. Starting tiles are the free tiles nearest to
the four outer corners (ranked by skill: worst top-right, then top-left, bottom-left, best
bottom-right, as in Foundation's ``fixed_four_skill_and_loc``), then further free tiles for more
than four agents.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlkit.config import ConfigError

MIN_SIZE = 7   # the smallest map with four quadrants of at least 3x3 around a water cross
WOOD_SHARE = {"top_left": 0.75, "top_right": 0.25}
STONE_SHARE = {"bottom_left": 0.75, "top_right": 0.25}


@dataclass(frozen=True)
class Layout:
    water: np.ndarray          # [H, W] bool
    wood_source: np.ndarray    # [H, W] bool
    stone_source: np.ndarray   # [H, W] bool
    starts: np.ndarray         # [N, 2] int, by skill rank (ascending)

    @property
    def shape(self) -> tuple[int, int]:
        return self.water.shape

    def free_tiles(self) -> int:
        return int((~self.water & ~self.wood_source & ~self.stone_source).sum())


def _quadrants(h: int, w: int) -> dict[str, tuple[slice, slice]]:
    mr, mc = h // 2, w // 2
    return {"top_left": (slice(0, mr), slice(0, mc)), "top_right": (slice(0, mr), slice(mc + 1, w)),
            "bottom_left": (slice(mr + 1, h), slice(0, mc)), "bottom_right": (slice(mr + 1, h), slice(mc + 1, w))}


def _water_cross(h: int, w: int) -> np.ndarray:
    water = np.zeros((h, w), bool)
    mr, mc = h // 2, w // 2
    water[mr, :] = True
    water[:, mc] = True
    for lo, hi, along_row in [(0, mc, True), (mc + 1, w, True), (0, mr, False), (mr + 1, h, False)]:
        length = hi - lo
        gap = max(1, min(4, length // 3))
        start = lo + (length - gap) // 2
        if along_row:
            water[mr, start:start + gap] = False
        else:
            water[start:start + gap, mc] = False
    return water


def _clump(rng: np.random.RandomState, region: np.ndarray, taken: np.ndarray, count: int) -> list[tuple[int, int]]:
    """``count`` free tiles of ``region`` nearest (with jitter) to a random centre: one clump."""
    cells = np.argwhere(region & ~taken)
    if count <= 0 or len(cells) == 0:
        return []
    centre = cells[rng.randint(len(cells))]
    dist = np.abs(cells - centre).sum(1) + rng.uniform(0, 1.5, len(cells))
    return [tuple(c) for c in cells[np.argsort(dist)[:count]]]


def quadrant_layout(height: int = 25, width: int = 25, n_agents: int = 4, n_wood: int = 20,
                    n_stone: int = 20, seed: int = 0) -> Layout:
    """The Open-Quadrant map (see the module docstring); raises :class:`ConfigError` when the map
    is smaller than the quadrant layout or cannot hold the resources and the agents."""
    if int(height) < MIN_SIZE or int(width) < MIN_SIZE:
        raise ConfigError(f"map {height}x{width} is smaller than the quadrant layout, which needs at "
                          f"least {MIN_SIZE}x{MIN_SIZE}")
    if n_agents < 1:
        raise ConfigError(f"n_agents must be >= 1, got {n_agents}")
    if n_wood < 0 or n_stone < 0:
        raise ConfigError(f"resource tile counts must be >= 0, got wood={n_wood}, stone={n_stone}")
    h, w = int(height), int(width)
    water = _water_cross(h, w)
    land = int((~water).sum())
    if n_agents + n_wood + n_stone > land:
        raise ConfigError(f"{n_agents} agents, {n_wood} wood and {n_stone} stone tiles do not fit the "
                          f"{land} land tiles of a {h}x{w} map (more agents than free tiles)")
    rng = np.random.RandomState(seed)
    quads = _quadrants(h, w)
    masks = {}
    for name, (rs, cs) in quads.items():
        m = np.zeros((h, w), bool)
        m[rs, cs] = True
        masks[name] = m & ~water
    taken = water.copy()
    sources = {}
    for resource, total, shares in [("wood", n_wood, WOOD_SHARE), ("stone", n_stone, STONE_SHARE)]:
        grid = np.zeros((h, w), bool)
        remaining = total
        for i, (quad, share) in enumerate(shares.items()):
            count = remaining if i == len(shares) - 1 else int(round(total * share))
            picked = _clump(rng, masks[quad], taken, min(count, int((masks[quad] & ~taken).sum())))
            for r, c in picked:
                grid[r, c] = taken[r, c] = True
            remaining -= len(picked)
        if remaining > 0:  # quadrants full: spill anywhere on free land
            for r, c in _clump(rng, ~water, taken, remaining):
                grid[r, c] = taken[r, c] = True
            remaining = total - int(grid.sum())
        if remaining > 0:
            raise ConfigError(f"cannot place {total} {resource} tiles on a {h}x{w} map")
        sources[resource] = grid
    free = ~taken
    corners = [(0, w - 1), (0, 0), (h - 1, 0), (h - 1, w - 1)]
    starts = []
    cells = np.argwhere(free)
    for i in range(n_agents):
        if i < len(corners):
            dist = np.abs(cells - np.asarray(corners[i])).sum(1).astype(float)
        else:
            dist = rng.uniform(size=len(cells))
        for j in np.argsort(dist, kind="stable"):
            cell = tuple(cells[j])
            if cell not in starts:
                starts.append(cell)
                break
    if len(starts) < n_agents:
        raise ConfigError(f"more agents ({n_agents}) than free tiles ({len(cells)}) on a {h}x{w} map")
    return Layout(water, sources["wood"], sources["stone"], np.asarray(starts, np.int32))
