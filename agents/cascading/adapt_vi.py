"""AdaptVI ("AdaptRM" in the submission): UCBVI over item lists as atomic actions (spec §3.4).

The naive baseline of the paper's experiments [per reviews]; the construction is [design]: the
cascading structure is ignored, every list ``A`` in the ``|A| = sum_k N!/(N-k)!`` lists is an
action with its own visit count, empirical reward and empirical next-state distribution, and the
plan is UCBVI's backward induction
``Q_h(s, A) = min(R_hat(s, A) + c (H - h + 1) sqrt(L / n(s, A)) + p_hat(.|s, A)^T V_{h+1}, H - h + 1)``
(``Q = H - h + 1`` for unvisited lists), ``L = log(6 S |A| H K / delta)``. Its regret scales with
``|A|`` instead of ``N`` and its per-episode cost with ``S^2 |A|``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.cascading.common import ListPolicyAgent, check_sizes
from agents.cascading.confidence import regret_log_term
from rlkit.agent import HParams, hparams
from rlkit.cascading import enumerate_lists, lists_value
from rlkit.config import ConfigError
from rlkit.tabular import Counts, add_transitions, empirical_kernel, empirical_rewards, zero_counts


@struct.dataclass
class AdaptVIState:
    counts: Counts          # one step (stationary), actions = lists
    table: jax.Array        # [|A|, m] every list
    actions: jax.Array      # [H, S] index of the list played
    episodes: jax.Array


def ucbvi_over_lists(counts: Counts, episodes, hp, H: int) -> jax.Array:
    """Greedy list indices ``[H, S]`` of UCBVI on the list-level empirical model (module docstring)."""
    n = counts.n[0]
    S, A = n.shape
    P_hat = empirical_kernel(counts)[0]
    R_hat = empirical_rewards(counts)[0]
    L = regret_log_term(S, A, H, episodes, hp.delta, hp.K)

    def step(V_next, h):
        cap = (H - h).astype(jnp.float64)
        bonus = hp.bonus_scale * cap * jnp.sqrt(L / jnp.maximum(n, 1.0))
        Q = jnp.where(n > 0, jnp.minimum(R_hat + bonus + P_hat @ V_next, cap), cap)
        return Q.max(-1), jnp.argmax(Q, axis=-1).astype(jnp.int32)

    _, actions = jax.lax.scan(step, jnp.zeros((S,), jnp.float64), jnp.arange(H), reverse=True)
    return actions


class AdaptVI(ListPolicyAgent):
    name = "adapt_vi"

    def init(self, key, spec, hp):
        H, S, N, m = check_sizes(spec)
        table = jnp.asarray(enumerate_lists(N, m))
        counts = zero_counts(1, S, table.shape[0])
        return AdaptVIState(counts, table, ucbvi_over_lists(counts, 0.0, hp, H), jnp.float64(0))

    def act(self, key, state, carry, obs, hp):
        index = state.actions[obs[0], obs[1]]
        return state.table[index], carry, {"list_index": index}

    def update(self, key, state, batch, hp):
        s = batch.obs[..., 1]
        counts = add_transitions(state.counts, jnp.zeros_like(s), s, batch.agent_info["list_index"],
                                 batch.reward, batch.next_obs[..., 1])
        episodes = state.episodes + jnp.sum(batch.done)
        actions = ucbvi_over_lists(counts, episodes, hp, state.actions.shape[0])
        return state.replace(counts=counts, actions=actions, episodes=episodes), {}

    def evaluate(self, state, hp, model):
        return {"value": lists_value(model, state.table[state.actions])}


@hparams
class AdaptVIParams(HParams):
    """``bonus_scale`` c, ``delta``, ``K`` (episodes in the log term; 0 = anytime)."""

    bonus_scale: float = 1.0
    delta: float = 0.01
    K: float = 0.0

    def make_agent(self):
        return AdaptVI()

    def validate(self):
        if not self.bonus_scale >= 0:
            raise ConfigError(f"bonus_scale must be >= 0, got {self.bonus_scale}")
        if not 0 < self.delta < 1:
            raise ConfigError(f"delta must be in (0, 1), got {self.delta}")
        if not self.K >= 0:
            raise ConfigError(f"K must be >= 0 (0 = anytime log term), got {self.K}")
