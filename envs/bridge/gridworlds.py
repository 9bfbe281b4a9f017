"""Local enumeration of small MiniGrid-style gridworlds into the BRIDGE format (sqirl spec §4).

:func:`enumerate_mdp` is a breadth-first search over the states reachable from an initial state
of any deterministic step function; states are numbered in discovery order (the start is 0) and
terminations become ``-1``, as in upstream's BFS construction (without the consolidation step,
which leaves values unchanged).

Two sources:

- rlkit's own MiniGrid-style worlds (:data:`LAYOUTS`): the agent has a position and a facing
  direction; actions ``0 = turn left, 1 = turn right, 2 = forward`` (3 actions, as BRIDGE's
  "Empty" envs) plus ``3 = pick up, 4 = drop, 5 = toggle`` in worlds with a key and a door (6
  actions, MiniGrid's set without "done"). Reaching the goal pays 1 and ends the episode (the
  upstream ``DeterministicWrapper`` maps every positive reward to 1; the time penalty is off, as
  with its ``TimeInvariantWrapper``); stepping into lava ends it with 0.
- the ``minigrid`` package, when installed (:func:`minigrid_mdp`): the env is reset with seed 0,
  fully observed, its step counter is reset before every step, and states are keyed by the agent's
  position and direction, the encoded grid and the carried object. Layouts of minigrid >= 2.3 may
  differ from the 2.2.x used for BRIDGE (spec §4 caveat).

:func:`local_gridworlds` is the list of small gridworlds the experiments enumerate locally: the
``minigrid`` package's worlds when it is installed, else rlkit's own (the same kinds of world:
empty rooms, lava, a door with a key).
"""
from __future__ import annotations

import copy
import functools
from collections import deque
from typing import Callable, Hashable

import numpy as np

from envs.bridge.loader import BridgeMDP, from_arrays
from rlkit.config import ConfigError

DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))   # right, down, left, up (MiniGrid's order)

#: ``#`` wall, ``.`` floor, ``G`` goal, ``L`` lava, ``K`` key, ``D`` locked door; the agent starts
#: at ``A`` facing right.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "empty-5": ("#####", "#A..#", "#...#", "#..G#", "#####"),
    "empty-6": ("######", "#A...#", "#....#", "#....#", "#...G#", "######"),
    "lava-6": ("######", "#A...#", "#LLL.#", "#....#", "#.LLG#", "######"),
    "rooms-7": ("#######", "#A..#.#", "#.....#", "#..#..#", "##.####", "#....G#", "#######"),
    "doorkey-5": ("#####", "#AK.#", "##D##", "#..G#", "#####"),
    "corridor-7": ("#######", "#A...G#", "#######"),
    "lavagap-5": ("#####", "#AL.#", "#...#", "#.LG#", "#####"),
}

#: Horizons used for the local worlds (shorter than MiniGrid's 100, so that the H^2 cost of
#: SQIRL stays small on a CPU).
HORIZONS = {"empty-5": 10, "empty-6": 15, "lava-6": 15, "rooms-7": 20, "doorkey-5": 20, "corridor-7": 10,
            "lavagap-5": 12}


def enumerate_mdp(initial: Hashable, step: Callable[[Hashable, int], tuple[Hashable | None, float]],
                  num_actions: int, horizon: int, name: str, max_states: int = 200_000) -> BridgeMDP:
    """BFS over ``step(state, action) -> (next_state or None when the episode ends, reward)``."""
    index = {initial: 0}
    order = [initial]
    queue = deque([initial])
    rows_t, rows_r = [], []
    while queue:
        state = queue.popleft()
        t_row, r_row = [], []
        for action in range(num_actions):
            nxt, reward = step(state, action)
            if nxt is None:
                t_row.append(-1)
            else:
                if nxt not in index:
                    if len(index) >= max_states:
                        raise ConfigError(f"{name}: more than {max_states} states; raise max_states")
                    index[nxt] = len(order)
                    order.append(nxt)
                    queue.append(nxt)
                t_row.append(index[nxt])
            r_row.append(reward)
        rows_t.append(t_row)
        rows_r.append(r_row)
    return from_arrays(np.asarray(rows_t, np.int64), np.asarray(rows_r, np.float32), horizon, name)


def _parse(layout: tuple[str, ...]) -> tuple[np.ndarray, tuple[int, int]]:
    grid = np.array([list(row) for row in layout])
    (y,), (x,) = np.nonzero(grid == "A")
    grid[y, x] = "."
    return grid, (int(x), int(y))


def gridworld(name: str, horizon: int | None = None) -> BridgeMDP:
    """Enumerate one of :data:`LAYOUTS` (state: x, y, direction, key position or carried, door)."""
    if name not in LAYOUTS:
        raise ConfigError(f"unknown gridworld {name!r}; available: {sorted(LAYOUTS)}")
    grid, (x0, y0) = _parse(LAYOUTS[name])
    has_key = bool(np.any(grid == "K"))
    keys = np.argwhere(grid == "K")
    key0 = (int(keys[0][1]), int(keys[0][0])) if has_key else None
    grid[grid == "K"] = "."
    num_actions = 6 if has_key else 3

    def step(state, action):
        x, y, d, key, door_open = state
        dx, dy = DIRECTIONS[d]
        fx, fy = x + dx, y + dy
        cell = grid[fy, fx]
        if action == 0:
            return (x, y, (d - 1) % 4, key, door_open), 0.0
        if action == 1:
            return (x, y, (d + 1) % 4, key, door_open), 0.0
        if action == 2:
            blocked = cell == "#" or (cell == "D" and not door_open) or (key is not None and key == (fx, fy))
            if blocked:
                return state, 0.0
            if cell == "G":
                return None, 1.0
            if cell == "L":
                return None, 0.0
            return (fx, fy, d, key, door_open), 0.0
        if action == 3 and key == (fx, fy):                 # pick up the key in front
            return (x, y, d, None, door_open), 0.0
        if action == 4 and has_key and key is None and cell == ".":   # drop it in front
            return (x, y, d, (fx, fy), door_open), 0.0
        if action == 5 and cell == "D" and key is None and has_key:   # toggle the door
            return (x, y, d, key, not door_open), 0.0
        return state, 0.0

    return enumerate_mdp((x0, y0, 0, key0, False), step, num_actions,
                         horizon or HORIZONS[name], f"grid_{name}")


def minigrid_available() -> bool:
    try:
        import minigrid  # noqa: F401
    except Exception:
        return False
    return True


#: ``minigrid`` worlds enumerated by :func:`local_gridworlds` (when the package is installed) and
#: their horizons (shorter than MiniGrid's 100, as :data:`HORIZONS`); 17-261 states each.
MINIGRID_WORLDS = {"MiniGrid-Empty-5x5-v0": 10, "MiniGrid-Empty-6x6-v0": 15, "MiniGrid-LavaGapS5-v0": 12,
                   "MiniGrid-LavaGapS6-v0": 15, "MiniGrid-DoorKey-5x5-v0": 20}


def local_gridworlds(use_minigrid: bool | None = None) -> tuple[tuple[str, int], ...]:
    """``(source, horizon)`` of the small gridworlds to enumerate locally (``envs.bridge.resolve``
    sources): the ``minigrid`` package's worlds (:data:`MINIGRID_WORLDS`) when it is installed (or
    ``use_minigrid=True``), otherwise rlkit's own :data:`LAYOUTS` with :data:`HORIZONS`."""
    if use_minigrid is None:
        use_minigrid = minigrid_available()
    if use_minigrid:
        return tuple((f"minigrid:{env_id}", h) for env_id, h in MINIGRID_WORLDS.items())
    return tuple((f"grid:{name}", HORIZONS[name]) for name in LAYOUTS)


@functools.lru_cache(maxsize=32)
def minigrid_mdp(env_id: str, horizon: int = 100, max_states: int = 200_000) -> BridgeMDP:
    """Enumerate a ``minigrid`` env (see the module docstring); needs the optional package.
    Cached (enumeration copies the env once per state and action: seconds for a few hundred
    states); the returned arrays must not be modified."""
    if not minigrid_available():
        raise ConfigError("minigrid_mdp needs the optional 'minigrid' package (pip install minigrid)")
    import gymnasium
    import minigrid  # noqa: F401  (registers the envs)

    try:
        env = gymnasium.make(env_id).unwrapped
    except Exception as err:
        raise ConfigError(f"cannot make MiniGrid env {env_id!r}: {err}") from None
    env.reset(seed=0)
    num_actions = 3 if "Empty" in env_id else 6

    def key_of(e):
        carrying = None if e.carrying is None else (e.carrying.type, e.carrying.color)
        return (tuple(int(v) for v in e.agent_pos), int(e.agent_dir), e.grid.encode().tobytes(), carrying)

    envs = {}

    class _State:
        """A hashable handle on an env snapshot (hash by its key)."""

        def __init__(self, e):
            self.key = key_of(e)
            envs.setdefault(self.key, e)

        def __hash__(self):
            return hash(self.key)

        def __eq__(self, other):
            return self.key == other.key

    def step(state, action):
        e = copy.deepcopy(envs[state.key])
        e.step_count = 0
        _, reward, terminated, _, _ = e.step(action)
        reward = 1.0 if reward > 0 else 0.0
        return (None if terminated else _State(e)), reward

    return enumerate_mdp(_State(env), step, num_actions, horizon, env_id, max_states)
