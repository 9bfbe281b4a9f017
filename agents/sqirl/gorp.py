"""GORP, Greedy Over Random Policy (Laidlaw, Russell & Dragan, NeurIPS 2023; sqirl spec §3.1).

An open-loop planner for deterministic MDPs: for ``i = 0..H-1``, every action sequence
``sigma in A^k`` is tried in ``m`` episodes (the learned prefix ``a*_0..a*_{i-1}``, then ``sigma``
at steps ``i..i+k-1``, then uniformly random actions); ``Q(sigma)`` is the mean return from step
``i`` on, and ``a*_i`` is the first action of the best sequence (first maximum, as Julia's
``findmax``). ``H`` iterations x ``A^k`` sequences x ``m`` episodes x ``<= H`` steps gives the
sample complexity ``T^2 A^k m``.

GORP does not fit the per-step agent protocol (its episodes are assigned to sequences), so it is a
jitted driver over any rlkit env with a fixed horizon: :func:`gorp` rolls out the ``A^k m``
episodes of an iteration as one vmapped ``lax.scan``.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from rlkit.config import ConfigError
from rlkit.env import Env


class GORPResult(NamedTuple):
    actions: jax.Array     # [H] the open-loop plan a*
    env_steps: jax.Array   # env steps used (before terminal states, when the env reports them)


def action_sequences(num_actions: int, k: int) -> jax.Array:
    """All ``A^k`` sequences ``[A^k, k]`` in lexicographic order (sequence 0 = all zeros)."""
    codes = jnp.arange(num_actions ** k)
    powers = num_actions ** jnp.arange(k - 1, -1, -1)
    return (codes[:, None] // powers[None, :]) % num_actions


def gorp(env: Env, env_params: Any, key: jax.Array, k: int, m: int, gamma: float = 1.0,
         episodes: jax.Array | None = None) -> GORPResult:
    """Run GORP(k, m) (see the module docstring); jittable with ``k`` and ``m`` static.

    ``episodes`` (may be traced, ``<= m``): use only the first ``episodes`` of the ``m`` episodes
    of every sequence, so one compiled program serves every smaller m (as tabular SQIRL's
    ``episodes_per_timestep``); the env steps of ignored episodes are not counted."""
    spec = env.spec(env_params)
    H, A = spec.horizon, spec.action_space.n
    if H is None or k < 1 or m < 1:
        raise ConfigError(f"gorp needs an env with a fixed horizon, k >= 1 and m >= 1; got "
                          f"horizon={H}, k={k}, m={m}")
    seqs = action_sequences(A, k)
    N = seqs.shape[0] * m
    episode_seq = jnp.arange(N) // m
    used_m = m if episodes is None else jnp.minimum(episodes, m)
    keep = (jnp.arange(N) % m) < used_m
    discounts = gamma ** jnp.arange(H, dtype=jnp.float64)

    def iteration(carry, i):
        plan, steps, key = carry
        key, k_reset, k_roll = jax.random.split(key, 3)
        _, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, N), env_params)

        def step(state, xs):
            t, k_t = xs
            k_rand, k_env = jax.random.split(k_t)
            offset = jnp.clip(t - i, 0, k - 1)
            planned = jnp.where(t < i, plan[t], seqs[episode_seq, offset])
            random = jax.random.randint(k_rand, (N,), 0, A)
            action = jnp.where(t < i + k, planned, random).astype(jnp.int32)
            _, state, reward, _, _, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(k_env, N), state, action, env_params)
            used = info.get("env_steps", jnp.ones(N, jnp.int32))
            return state, (reward.astype(jnp.float64), used)

        _, (rewards, used) = jax.lax.scan(step, state, (jnp.arange(H), jax.random.split(k_roll, H)))
        weights = jnp.where(jnp.arange(H) >= i, discounts / discounts[i], 0.0)
        returns = jnp.einsum("tn,t->n", rewards, weights) * keep
        q = returns.reshape(-1, m).sum(-1) / used_m
        plan = plan.at[i].set(seqs[jnp.argmax(q), 0].astype(jnp.int32))
        return (plan, steps + jnp.sum(used * keep[None, :]), key), None

    init = (jnp.zeros(H, jnp.int32), jnp.int64(0), key)
    (plan, steps, _), _ = jax.lax.scan(iteration, init, jnp.arange(H))
    return GORPResult(plan, steps)


def open_loop_policy(plan: jax.Array, num_obs: int) -> jax.Array:
    """The plan as a non-stationary policy over observations ``actions[H, num_obs]``."""
    return jnp.broadcast_to(plan[:, None], (plan.shape[0], num_obs))
