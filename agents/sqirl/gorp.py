"""GORP, Greedy Over Random Policy (Laidlaw, Russell & Dragan, NeurIPS 2023; sqirl spec §3.1).

An open-loop planner for deterministic MDPs: for ``i = 0..H-1``, every action sequence
``sigma in A^k`` is tried in ``m`` episodes (the learned prefix ``a*_0..a*_{i-1}``, then ``sigma``
at steps ``i..i+k-1``, then uniformly random actions); ``Q(sigma)`` is the mean return from step
``i`` on, and ``a*_i`` is the first action of the best sequence (first maximum, as Julia's
``findmax``). ``H`` iterations x ``A^k`` sequences x ``m`` episodes x ``<= H`` steps gives the
sample complexity ``T^2 A^k m``.

GORP does not fit the per-step agent protocol (its episodes are assigned to sequences), so it is a
jitted driver over any rlkit env with a fixed horizon: :func:`gorp` rolls out the ``A^k m``
episodes of an iteration as one vmapped ``lax.scan`` (:func:`collect`), values the sequences
(:func:`sequence_values`) and picks ``a*_i`` (:func:`choose`). An optional *follower* receives
every iteration's rollouts, so another learner can be fed exactly GORP's data (sqirl spec §7.10:
tabular SQIRL with ``k = 1`` on the same rollouts picks the same actions).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from rlkit.agent import Trajectory
from rlkit.config import ConfigError
from rlkit.env import Env


class Rollouts(NamedTuple):
    """One iteration's episodes, leaves ``[N, H, ...]`` (observation before each action)."""

    obs: Any
    action: jax.Array      # int32
    reward: jax.Array      # float64
    terminated: jax.Array  # bool
    next_obs: Any
    env_steps: jax.Array   # int32: steps that count as samples (before terminal states)


class Follower(NamedTuple):
    """A learner fed GORP's rollouts: ``update(state, i, rollouts, num_used) -> state`` after
    iteration ``i``; the rollouts are ordered with the ``num_used`` episodes GORP used first
    (every sequence once, then every sequence again, ...)."""

    init: Any
    update: Callable[[Any, jax.Array, Rollouts, jax.Array], Any]


class GORPResult(NamedTuple):
    actions: jax.Array     # [H] the open-loop plan a*
    env_steps: jax.Array   # env steps used (before terminal states, when the env reports them)
    follower: Any = None   # the follower's final state (None without a follower)


def action_sequences(num_actions: int, k: int) -> jax.Array:
    """All ``A^k`` sequences ``[A^k, k]`` in lexicographic order (sequence 0 = all zeros)."""
    codes = jnp.arange(num_actions ** k)
    powers = num_actions ** jnp.arange(k - 1, -1, -1)
    return (codes[:, None] // powers[None, :]) % num_actions


def collect(env: Env, env_params: Any, key: jax.Array, plan: jax.Array, i: jax.Array,
            seqs: jax.Array, m: int) -> Rollouts:
    """The ``A^k m`` episodes of iteration ``i``: episode ``e`` plays the plan before ``i``,
    sequence ``e // m`` at steps ``i..i+k-1``, then uniformly random actions."""
    H = plan.shape[0]
    n_seq, k = seqs.shape
    A = env.spec(env_params).action_space.n
    N = n_seq * m
    episode_seq = jnp.arange(N) // m
    k_reset, k_roll = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, N), env_params)

    def step(carry, xs):
        obs, state = carry
        t, k_t = xs
        k_rand, k_env = jax.random.split(k_t)
        offset = jnp.clip(t - i, 0, k - 1)
        planned = jnp.where(t < i, plan[t], seqs[episode_seq, offset])
        random = jax.random.randint(k_rand, (N,), 0, A)
        action = jnp.where(t < i + k, planned, random).astype(jnp.int32)
        next_obs, state, reward, terminated, _, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k_env, N), state, action, env_params)
        used = info.get("env_steps", jnp.ones(N, jnp.int32))
        before_reset = info.get("final_observation", next_obs)
        return (next_obs, state), (obs, action, reward.astype(jnp.float64), terminated, before_reset, used)

    _, out = jax.lax.scan(step, (obs, state), (jnp.arange(H), jax.random.split(k_roll, H)))
    return Rollouts(*jax.tree_util.tree_map(lambda x: jnp.swapaxes(x, 0, 1), out))


def sequence_values(reward: jax.Array, i: jax.Array, num_sequences: int, m: int, used_m: jax.Array,
                    gamma: float = 1.0) -> jax.Array:
    """``Q(sigma)``: mean discounted return from step ``i`` over the first ``used_m`` of the ``m``
    episodes of every sequence (``reward[A^k m, H]`` in :func:`collect`'s layout)."""
    H = reward.shape[1]
    discounts = gamma ** jnp.arange(H, dtype=jnp.float64)
    weights = jnp.where(jnp.arange(H) >= i, discounts / discounts[i], 0.0)
    keep = (jnp.arange(num_sequences * m) % m) < used_m
    returns = (reward @ weights) * keep
    return returns.reshape(num_sequences, m).sum(-1) / used_m


def choose(q: jax.Array, seqs: jax.Array) -> jax.Array:
    """``a*_i``: the first action of the first best sequence (Julia's ``findmax``)."""
    return seqs[jnp.argmax(q), 0].astype(jnp.int32)


def used_first(n_seq: int, m: int) -> jax.Array:
    """A permutation of :func:`collect`'s episodes putting the episodes GORP uses first: the
    ``j``-th entry is episode ``(j % n_seq) m + j // n_seq``."""
    j = jnp.arange(n_seq * m)
    return (j % n_seq) * m + j // n_seq


def gorp(env: Env, env_params: Any, key: jax.Array, k: int, m: int, gamma: float = 1.0,
         episodes: jax.Array | None = None, follower: Follower | None = None) -> GORPResult:
    """Run GORP(k, m) (see the module docstring); jittable with ``k`` and ``m`` static.

    ``episodes`` (may be traced, ``<= m``): use only the first ``episodes`` of the ``m`` episodes
    of every sequence, so one compiled program serves every smaller m (as tabular SQIRL's
    ``episodes_per_timestep``); the env steps of ignored episodes are not counted.
    ``follower``: fed every iteration's rollouts (see :class:`Follower`)."""
    spec = env.spec(env_params)
    H, A = spec.horizon, spec.action_space.n
    if H is None or k < 1 or m < 1:
        raise ConfigError(f"gorp needs an env with a fixed horizon, k >= 1 and m >= 1; got "
                          f"horizon={H}, k={k}, m={m}")
    seqs = action_sequences(A, k)
    n_seq = seqs.shape[0]
    used_m = m if episodes is None else jnp.minimum(episodes, m)
    keep = (jnp.arange(n_seq * m) % m) < used_m
    order = used_first(n_seq, m)

    def iteration(carry, i):
        plan, steps, key, fstate = carry
        key, k_iter = jax.random.split(key)
        rollouts = collect(env, env_params, k_iter, plan, i, seqs, m)
        q = sequence_values(rollouts.reward, i, n_seq, m, used_m, gamma)
        plan = plan.at[i].set(choose(q, seqs))
        steps = steps + jnp.sum(rollouts.env_steps * keep[:, None])
        if follower is not None:
            ordered = jax.tree_util.tree_map(lambda x: x[order], rollouts)
            fstate = follower.update(fstate, i, ordered, used_m * n_seq)
        return (plan, steps, key, fstate), None

    init = (jnp.zeros(H, jnp.int32), jnp.int64(0), key, None if follower is None else follower.init)
    (plan, steps, _, fstate), _ = jax.lax.scan(iteration, init, jnp.arange(H))
    return GORPResult(plan, steps, fstate)


def agent_follower(agent: Any, hp: Any, spec: Any, key: jax.Array,
                   used_field: str | None = None) -> Follower:
    """An rlkit :class:`~rlkit.agent.Agent` as a :class:`Follower`: ``agent.update`` on every
    iteration's rollouts as a :class:`~rlkit.agent.Trajectory` (no env info, no agent info);
    ``used_field`` names the hyper-parameter that takes the number of used episodes (tabular
    SQIRL: ``episodes_per_timestep``, which weights the first episodes of the batch)."""

    def update(state, i, rollouts: Rollouts, num_used):
        params = hp if used_field is None else hp.replace(**{used_field: num_used})
        batch = Trajectory(rollouts.obs, rollouts.action, rollouts.reward, rollouts.terminated,
                           jnp.zeros_like(rollouts.terminated), rollouts.next_obs, {}, {})
        return agent.update(jax.random.fold_in(key, i), state, batch, params)[0]

    return Follower(agent.init(key, spec, hp), update)


def open_loop_policy(plan: jax.Array, num_obs: int) -> jax.Array:
    """The plan as a non-stationary policy over observations ``actions[H, num_obs]``."""
    return jnp.broadcast_to(plan[:, None], (plan.shape[0], num_obs))
