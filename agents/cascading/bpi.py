"""CascadingBPI: (epsilon, delta) best policy identification in cascading MDPs (spec §4).

The paper states the sample complexity ``O~(H^3 S N / eps^2)`` [paper] but gives the algorithm in
prose only; this reconstruction is [design] / [unconfirmed] as the paper's algorithm:

- the same per-item estimators and BestPerm planning as CascadingVI, giving the optimistic
  ``V_up`` and the policy ``pi^k``, and a pessimistic value ``V_low`` of the same policy;
- **stop** at the first episode ``k`` with ``V_up_1(s_1) - V_low_1(s_1) <= epsilon`` and **output**
  ``pi^k`` (on the good event ``V_up >= V* `` and ``V_low <= V^{pi^k}``, so ``pi^k`` is
  epsilon-optimal); otherwise play ``pi^k`` for one more episode;
- confidence ``bpi`` (default): BPI-UCBVI thresholds ``beta(n, delta) = log(3 S N H / delta) +
  d log(8 e (n + 1))`` (Menard et al. 2021; ``d = S`` for transitions, 1 for attractions); or
  ``regret``: CascadingVI's log term.

After stopping the agent keeps playing (and reporting) the output policy and ignores new data, so
it runs inside the ordinary trainer; ``stopped`` and ``stop_episode`` are logged every iteration.
``s_1`` is the state of the first observation (fixed initial state [design]).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.cascading import confidence
from agents.cascading.cascading_vi import CascadingVIParams
from agents.cascading.common import ListPolicyAgent, check_sizes
from agents.cascading.optimistic import initial_lists, optimistic_cascading_plan
from agents.cascading.statistics import ItemStats, add_batch, zero_item_stats
from rlkit.agent import hparams, static
from rlkit.config import ConfigError


@struct.dataclass
class BPIState:
    stats: ItemStats
    rewards: jax.Array | None
    lists: jax.Array          # [H, S, m] current (after stopping: the output) policy
    episodes: jax.Array
    s1: jax.Array             # initial state (-1 before the first episode)
    gap: jax.Array            # V_up_1(s1) - V_low_1(s1) of the current policy
    stopped: jax.Array        # bool
    stop_episode: jax.Array   # episodes used when stopping (0 while running)
    H: int = struct.field(pytree_node=False, default=1)
    m: int = struct.field(pytree_node=False, default=1)


class CascadingBPI(ListPolicyAgent):
    name = "cascading_bpi"

    def init(self, key, spec, hp):
        H, S, N, m = check_sizes(spec)
        stats = zero_item_stats(S, N)
        rewards = spec.known.get("r")
        return BPIState(stats, rewards, initial_lists(H, S, m), jnp.float64(0), jnp.int32(-1),
                        jnp.float64(H), jnp.asarray(False), jnp.float64(0), H=H, m=m)

    def update(self, key, state, batch, hp):
        stats = add_batch(state.stats, batch)
        episodes = state.episodes + jnp.sum(batch.done)
        s1 = jnp.where(state.s1 < 0, batch.obs[0, 0, 1], state.s1)
        plan = optimistic_cascading_plan(stats, state.rewards, episodes, hp, state.H, state.m)
        gap = plan.V_up[0, s1] - plan.V_low[0, s1]
        stop_now = gap <= hp.epsilon
        running = state.replace(stats=stats, lists=plan.lists, episodes=episodes, s1=s1, gap=gap,
                                stopped=stop_now, stop_episode=jnp.where(stop_now, episodes, 0.0))
        new = jax.tree_util.tree_map(lambda old, fresh: jnp.where(state.stopped, old, fresh),
                                     state, running)
        return new, {"gap": new.gap, "stopped": new.stopped.astype(jnp.float64),
                     "stop_episode": new.stop_episode}


@hparams
class CascadingBPIParams(CascadingVIParams):
    """CascadingVI's hyper-parameters plus ``epsilon`` (accuracy) and ``confidence``
    (``bpi`` / ``regret`` log terms, static)."""

    epsilon: float = 0.1
    delta: float = 0.1
    confidence: str = static("bpi")

    def make_agent(self):
        return CascadingBPI()

    def validate(self):
        super().validate()
        if not self.epsilon > 0:
            raise ConfigError(f"epsilon must be > 0, got {self.epsilon}")
        if self.confidence not in confidence.CONFIDENCE:
            raise ConfigError(f"confidence must be one of {list(confidence.CONFIDENCE)}, "
                              f"got {self.confidence!r}")
