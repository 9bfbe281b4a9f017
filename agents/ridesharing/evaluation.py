"""Greedy evaluation of several dispatch rules on common random numbers, in one jitted program.

Each rule turns a fleet observation into a weight matrix ``W [V, No]``; one auction
(:func:`rlkit.assignment.auction_match`) turns weights into the joint action. Rules:

- ``"policy"``: a learned pair scorer without exploration, ``W = P`` (the paper's eval episodes);
- ``"hungarian"``: ``BIG - pickup ETA`` (minimum total pickup among maximum matchings, see
  :mod:`agents.ridesharing.baselines`);
- ``"random"``: ``1 + 0.01 U`` with fresh uniforms each minute: a maximum matching with random
  ties (the random-matching baseline).

All rules replay the same episodes: the env consumes its keys independently of the actions
(arrivals, initial positions), so reusing the episode keys gives every rule the same demand.
The returned sums are per episode (``[rules, episodes]``).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from agents.ridesharing import dispatch
from rlkit import candidates

RULES = ("policy", "hungarian", "random")
SUMMED = ("served", "pickup_minutes", "lost", "arrivals", "platform_reward", "delivered",
          "delivery_minutes", "detour_minutes", "confirmation_minutes")


def rule_weights(rule: str, key: jax.Array, obs: dict, travel_time: jax.Array,
                 apply: Callable | None, params: Any, features: str) -> jax.Array:
    """The weight matrix of one rule (module docstring)."""
    mask = dispatch.valid_pairs(obs)
    if rule == "policy":
        logits = dispatch.policy_logits(apply, params, obs, travel_time, features)
        return candidates.masked_softmax(logits, mask) + 1e-8 * mask
    if rule == "hungarian":
        eta = travel_time[obs["vehicle_zone"][:, None], obs["order_pickup"][None, :]].astype(jnp.float32)
        big = (min(eta.shape) + 1) * (travel_time.max().astype(jnp.float32) + 1.0)
        return big - eta
    if rule == "random":
        return 1.0 + 0.01 * jax.random.uniform(key, mask.shape)
    raise ValueError(f"unknown rule {rule!r}; allowed: {RULES}")


def evaluate_rules(env, env_params, rules: Sequence[str], key: jax.Array, episodes: int,
                   apply: Callable | None = None, params: Any = None, features: str = "eta",
                   eps_rel: float = 1e-5) -> dict[str, jax.Array]:
    """Run ``episodes`` greedy episodes per rule; per-episode metric sums ``[rules, episodes]``.

    ``eps_rel = 1e-5`` keeps the integer ``hungarian`` weights exact for ``min(V, No) * BIG <
    1e5`` and is far below the differences that matter for probabilities."""
    travel_time = env_params.city.travel_time
    horizon = env.horizon
    k_reset, k_run = jax.random.split(key)
    reset_keys = jax.random.split(k_reset, episodes)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(reset_keys, env_params)
    tile = lambda tree: jax.tree_util.tree_map(lambda x: jnp.stack([x] * len(rules)), tree)
    obs, state = tile(obs), tile(state)

    def one_rule_step(i, k_act, k_env, s, o):
        w_all = [rule_weights(r, k_act, o, travel_time, apply, params, features) for r in rules]
        w = jnp.stack(w_all)[i]
        action = dispatch.assignment_action(w, dispatch.valid_pairs(o), eps_rel)[0]
        o2, s2, _, _, _, info = env.step(k_env, s, action, env_params)
        return s2, o2, {k: info[k] for k in SUMMED}

    step_all = jax.vmap(jax.vmap(one_rule_step, in_axes=(None, 0, 0, 0, 0)), in_axes=(0, None, None, 0, 0))

    def body(carry, k):
        s, o = carry
        k_act, k_env = jax.random.split(k)
        ka = jax.random.split(k_act, episodes)
        ke = jax.random.split(k_env, episodes)
        s, o, info = step_all(jnp.arange(len(rules)), ka, ke, s, o)
        return (s, o), info

    _, infos = jax.lax.scan(body, (state, obs), jax.random.split(k_run, horizon))
    return {k: v.sum(0) for k, v in infos.items()}
