"""CascadingVI (Du, Srikant & Chen, ICLR 2024, Algorithm 2) and its experimental variants.

Each episode: plan with per-item optimistic estimates and one oracle call per (h, s)
(:func:`agents.cascading.optimistic.optimistic_cascading_plan`), play the list policy for one
episode, add the cascading feedback to the per-item statistics. Run it with ``rollout_len = H``.

Variants (spec §3.4 [unconfirmed] per reviews; what is changed is [design]):

- :class:`CascadingVIOracleParams`: exhaustive search over all lists instead of BestPerm; same
  statistics and tie-breaking, hence the same lists and regret, at a much higher cost (T7);
- :class:`CascadingVIBonusParams`: a variance-unaware (Hoeffding) attraction bonus
  ``c sqrt(L / (2 n))``; the transition bonus is unchanged.

Regret bound (Theorem 1 [paper]): ``O~(H sqrt(H S N K))`` with probability ``1 - delta``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.cascading import confidence
from agents.cascading.common import ListPolicyAgent, check_sizes
from agents.cascading.optimistic import initial_lists, optimistic_cascading_plan
from agents.cascading.statistics import ItemStats, add_batch, zero_item_stats
from rlkit.agent import HParams, hparams, static
from rlkit.cascading import ORACLES
from rlkit.config import ConfigError


@struct.dataclass
class CascadingVIState:
    stats: ItemStats
    rewards: jax.Array | None   # known r[S, N], or None (learned)
    lists: jax.Array            # [H, S, m] policy of the next episode
    episodes: jax.Array
    H: int = struct.field(pytree_node=False, default=1)
    m: int = struct.field(pytree_node=False, default=1)


class CascadingVI(ListPolicyAgent):
    name = "cascading_vi"

    def plan(self, stats, rewards, episodes, hp, H, m):
        return optimistic_cascading_plan(stats, rewards, episodes, hp, H, m)

    def init(self, key, spec, hp):
        H, S, N, m = check_sizes(spec)
        stats = zero_item_stats(S, N)
        rewards = spec.known.get("r")
        return CascadingVIState(stats, rewards, initial_lists(H, S, m), jnp.float64(0), H=H, m=m)

    def update(self, key, state, batch, hp):
        stats = add_batch(state.stats, batch)
        episodes = state.episodes + jnp.sum(batch.done)
        plan = self.plan(stats, state.rewards, episodes, hp, state.H, state.m)
        new = state.replace(stats=stats, lists=plan.lists, episodes=episodes)
        return new, {"optimistic_value": jnp.mean(plan.V_up[0])}


@hparams
class CascadingVIParams(HParams):
    """``bonus_scale`` c; ``delta``; ``K`` episodes in the log term (0: anytime); ``preset``
    (``prototype`` / ``reconstructed``), ``attraction_bonus`` (``bernstein`` / ``hoeffding``) and
    ``oracle`` (``bestperm`` / ``exhaustive``) are static."""

    bonus_scale: float = 1.0
    delta: float = 0.01
    K: float = 0.0
    preset: str = static("prototype")
    attraction_bonus: str = static("bernstein")
    oracle: str = static("bestperm")

    def make_agent(self):
        return CascadingVI()

    def validate(self):
        if not self.bonus_scale >= 0:
            raise ConfigError(f"bonus_scale must be >= 0, got {self.bonus_scale}")
        if not 0 < self.delta < 1:
            raise ConfigError(f"delta must be in (0, 1), got {self.delta}")
        if not self.K >= 0:
            raise ConfigError(f"K must be >= 0 (0 = anytime log term), got {self.K}")
        if self.preset not in confidence.PRESETS:
            raise ConfigError(f"preset must be one of {list(confidence.PRESETS)}, got {self.preset!r}")
        if self.attraction_bonus not in confidence.ATTRACTION_BONUSES:
            raise ConfigError(f"attraction_bonus must be one of {list(confidence.ATTRACTION_BONUSES)}, "
                              f"got {self.attraction_bonus!r}")
        if self.oracle not in ORACLES:
            raise ConfigError(f"oracle must be one of {sorted(ORACLES)}, got {self.oracle!r}")


@hparams
class CascadingVIOracleParams(CascadingVIParams):
    """CascadingVI-Oracle: exhaustive search over all lists as the oracle (spec §3.4)."""

    oracle: str = static("exhaustive")


@hparams
class CascadingVIBonusParams(CascadingVIParams):
    """CascadingVI-Bonus: Hoeffding (variance-unaware) attraction bonus (spec §3.4, T12)."""

    attraction_bonus: str = static("hoeffding")
