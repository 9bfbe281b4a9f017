"""Finite-horizon MDPs with few successors per state-action pair (deterministic, sticky-action).

A dense kernel ``P[H, S, A, S]`` is wasteful for the BRIDGE MDPs of Laidlaw et al. (NeurIPS 2023):
their transitions are deterministic (one successor), and their sticky-action versions (ICLR 2024)
have two. :class:`SparseMDP` stores, for every step ``t``, state ``s`` and action ``a``, ``K``
outcomes ``(next_state, prob, reward)``, so a Bellman backup is a gather:

    Q_t(s, a) = sum_k prob_t[s, a, k] * (reward_t[s, a, k] + V_{t+1}(next_t[s, a, k])).

Rewards are per outcome because under sticky actions the reward is that of the *executed* action.
The kernel arrays have a leading step axis of length ``Ht`` in ``{1, 2, H}``; step ``t`` uses entry
``min(t, Ht - 1)``: ``Ht = 1`` is stationary, ``Ht = 2`` "the first step differs" (the sticky model
never repeats on the first step), ``Ht = H`` fully time-inhomogeneous.

The model also says how the agent observes a state (``observed_as``: an observation index per
state, e.g. the underlying state of a sticky-action state when the previous action is hidden, and
``encode``: the observation an env emits for ``(h, index)``), so an agent's ``evaluate`` can compute
the exact value of a policy over observations. Values are float64 (DESIGN.md). Everything is
jittable and vmappable.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct


class Values(NamedTuple):
    Q: jax.Array  # [H, S, A]
    V: jax.Array  # [H + 1, S], V[H] = 0


def step_observation(h: jax.Array, index: jax.Array) -> jax.Array:
    """The default observation of an env over a :class:`SparseMDP`: ``[h, index]`` (int32)."""
    return jnp.stack([jnp.asarray(h, jnp.int32), jnp.asarray(index, jnp.int32)], axis=-1)


@struct.dataclass
class SparseMDP:
    """See the module docstring.

    Attributes:
      next_state: ``[Ht, S, A, K]`` int32 successor of each outcome.
      prob: ``[Ht, S, A, K]`` float64 outcome probabilities (rows sum to 1; zero entries unused).
      reward: ``[Ht, S, A, K]`` float64 reward of each outcome.
      start: initial state (int32 scalar).
      terminal: ``[S]`` bool, absorbing zero-reward states (excluded from occupancy minima).
      observed_as: ``[S]`` int32 observation index of each state (identity when fully observed).
      horizon: number of decisions ``H`` (static).
      num_obs: number of observation indices (static).
      encode: ``(h, index) -> observation`` (static); ``None`` means :func:`step_observation`.
    """

    next_state: jax.Array
    prob: jax.Array
    reward: jax.Array
    start: jax.Array
    terminal: jax.Array
    observed_as: jax.Array
    horizon: int = struct.field(pytree_node=False)
    num_obs: int = struct.field(pytree_node=False)
    encode: Callable[[jax.Array, jax.Array], Any] | None = struct.field(pytree_node=False, default=None)

    # --- sizes ---------------------------------------------------------------------------------
    @property
    def H(self) -> int:
        return self.horizon

    @property
    def S(self) -> int:
        return self.next_state.shape[-3]

    @property
    def A(self) -> int:
        return self.next_state.shape[-2]

    @property
    def K(self) -> int:
        return self.next_state.shape[-1]

    def kernel_index(self, t: jax.Array) -> jax.Array:
        """Index into the kernel's step axis for 0-based step ``t``: ``min(t, Ht - 1)``."""
        return jnp.minimum(t, self.next_state.shape[0] - 1)

    def outcomes(self, t: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(next_state, prob, reward)`` of step ``t``, each ``[S, A, K]``."""
        i = self.kernel_index(t)
        return self.next_state[i], self.prob[i], self.reward[i]

    # --- Bellman pieces ------------------------------------------------------------------------
    def expected_reward(self, t: jax.Array) -> jax.Array:
        """``R_t(s, a) = sum_k prob * reward`` ``[S, A]``."""
        _, p, r = self.outcomes(t)
        return jnp.sum(p * r, axis=-1)

    def backup(self, t: jax.Array, V_next: jax.Array) -> jax.Array:
        """``Q_t(s, a) = sum_k prob (reward + V_{t+1}(next))`` for a value vector ``V_next[S]``."""
        nxt, p, r = self.outcomes(t)
        return jnp.sum(p * (r + V_next.at[nxt].get(mode="promise_in_bounds")), axis=-1)

    def expected_next(self, t: jax.Array, W: jax.Array) -> jax.Array:
        """``E[W(s') | s, a]`` at step ``t`` for any per-state array ``W[S, ...]`` -> ``[S, A, ...]``."""
        nxt, p, _ = self.outcomes(t)
        Wn = W[nxt]                                   # [S, A, K, ...]
        p = p.reshape(p.shape + (1,) * (Wn.ndim - 3))
        return jnp.sum(p * Wn, axis=2)

    def successor_mask(self, t: jax.Array, weights: jax.Array) -> jax.Array:
        """States reached at ``t + 1`` with positive probability from ``(s, a)`` pairs with
        ``weights[s, a] > 0`` (bool ``[S]``)."""
        nxt, p, _ = self.outcomes(t)
        hit = (weights[..., None] > 0) & (p > 0)
        return jnp.zeros((self.S,), bool).at[nxt.reshape(-1)].max(hit.reshape(-1))

    def backward(self, combine: Callable[[jax.Array, jax.Array], jax.Array]) -> Values:
        """Backward induction ``Q_t = backup(t, V_{t+1})``, ``V_t = combine(t, Q_t)``, ``V_H = 0``."""
        V_last = jnp.zeros((self.S,), jnp.float64)

        def body(V_next, t):
            Q_t = self.backup(t, V_next)
            V_t = combine(t, Q_t)
            return V_t, (Q_t, V_t)

        _, (Q, V) = jax.lax.scan(body, V_last, jnp.arange(self.H), reverse=True)
        return Values(Q, jnp.concatenate([V, V_last[None]], axis=0))

    # --- values of policies --------------------------------------------------------------------
    def optimal_values(self) -> Values:
        """``Q*`` and ``V*`` by backward induction."""
        return self.backward(lambda t, Q: Q.max(-1))

    def optimal_value(self) -> jax.Array:
        """``V*_0(start)`` (the trainer's reference for pseudo-regret)."""
        return self.optimal_values().V[0, self.start]

    def state_policy(self, pi_obs: jax.Array) -> jax.Array:
        """A policy over observations ``[H, num_obs, A]`` as a policy over states ``[H, S, A]``."""
        return pi_obs[:, self.observed_as]

    def policy_values(self, pi_obs: jax.Array) -> Values:
        """``Q^pi`` and ``V^pi`` of a non-stationary stochastic policy over observations."""
        pi = self.state_policy(pi_obs)
        return self.backward(lambda t, Q: jnp.sum(pi[t] * Q, -1))

    def policy_value(self, pi_obs: jax.Array) -> jax.Array:
        """Expected return ``V^pi_0(start)`` of a policy ``pi_obs[H, num_obs, A]``."""
        return self.policy_values(pi_obs).V[0, self.start]

    def actions_value(self, actions_obs: jax.Array) -> jax.Array:
        """Expected return of the deterministic policy ``actions_obs[H, num_obs]``."""
        return self.policy_value(jax.nn.one_hot(actions_obs, self.A, dtype=jnp.float64))

    def uniform_policy(self) -> jax.Array:
        """The uniformly random policy over observations ``[H, num_obs, A]``."""
        return jnp.full((self.H, self.num_obs, self.A), 1.0 / self.A, jnp.float64)

    def state_distributions(self, pi_obs: jax.Array) -> jax.Array:
        """``d[t, s] = P(s_t = s)`` under ``pi_obs`` from ``start``, ``t = 0..H-1``."""
        pi = self.state_policy(pi_obs)
        d0 = jax.nn.one_hot(self.start, self.S, dtype=jnp.float64)

        def body(d, t):
            nxt, p, _ = self.outcomes(t)
            mass = (d[:, None] * pi[t])[..., None] * p                # [S, A, K]
            return jnp.zeros_like(d).at[nxt.reshape(-1)].add(mass.reshape(-1)), d

        _, ds = jax.lax.scan(body, d0, jnp.arange(self.H))
        return ds

    # --- observations --------------------------------------------------------------------------
    def observe(self, h: jax.Array, index: jax.Array) -> Any:
        """The observation an env over this model emits at step ``h`` for index ``index``."""
        encode = step_observation if self.encode is None else self.encode
        return encode(h, index)

    def observation_table(self) -> Any:
        """Observations of every ``(h, index)``: leaves ``[H, num_obs, ...]`` (for evaluating
        observation-based policies exactly)."""
        h = jnp.arange(self.H)[:, None]
        idx = jnp.arange(self.num_obs)[None, :]
        h, idx = jnp.broadcast_arrays(h, idx)
        return jax.vmap(jax.vmap(self.observe))(h, idx)

    # --- conversion ----------------------------------------------------------------------------
    def to_tabular(self):
        """The same MDP as a dense :class:`rlkit.tabular.TabularModel` (expected rewards), e.g. to
        cross-check against :func:`rlkit.tabular.value_iteration`. Memory ``H S^2 A``."""
        from rlkit.tabular.model import make_model

        t = jnp.arange(self.H)
        nxt, p, _ = jax.vmap(self.outcomes)(t)                      # [H, S, A, K]
        P = jnp.zeros((self.H, self.S, self.A, self.S), jnp.float64)
        h_idx, s_idx, a_idx, _ = jnp.indices(nxt.shape)
        P = P.at[h_idx, s_idx, a_idx, nxt].add(p)
        r = jax.vmap(self.expected_reward)(t)
        return make_model(P, r, mu=jax.nn.one_hot(self.start, self.S, dtype=jnp.float64))


def deterministic_mdp(next_state, reward, horizon: int, start: int = 0,
                      terminal=None) -> SparseMDP:
    """A deterministic :class:`SparseMDP` (``K = 1``, stationary) from ``next_state[S, A]`` and
    ``reward[S, A]`` (no validation: see :mod:`envs.bridge` for a validating loader)."""
    next_state = np.asarray(next_state)
    S, A = next_state.shape
    terminal = np.zeros(S, bool) if terminal is None else np.asarray(terminal, bool)
    return SparseMDP(   # built in numpy, then transferred (no per-op compilation)
        next_state=jnp.asarray(next_state.astype(np.int32)[None, :, :, None]),
        prob=jnp.asarray(np.ones((1, S, A, 1))),
        reward=jnp.asarray(np.asarray(reward, np.float64)[None, :, :, None]),
        start=jnp.asarray(start, jnp.int32),
        terminal=jnp.asarray(terminal),
        observed_as=jnp.asarray(np.arange(S, dtype=np.int32)),
        horizon=int(horizon),
        num_obs=S,
    )
