"""UCBVI (Azar, Osband & Munos 2017, Alg. 1) for finite-horizon tabular MDPs.

Each episode: optimistic backward induction on the empirical model with a confidence bonus
(:func:`rlkit.tabular.optimistic_plan`), then play the greedy policy for one episode. The trainer
runs it with ``rollout_len = H``; ``update`` adds the episode's transitions and re-plans.
``bonus_scale = 1`` with the ``l1`` bonus is the valid confidence bound; ``bonus_scale = 0`` is the
no-bonus (certainty-equivalence) negative control.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.tabular import (BONUS_KINDS, Counts, add_transitions, deterministic_policy,
                           optimistic_plan, policy_value, zero_counts)


@struct.dataclass
class UCBVIState:
    counts: Counts
    rewards: jax.Array | None   # known reward table [H, S, A], or None (learned)
    actions: jax.Array          # [H, S] greedy optimistic actions for the next episode
    episodes: jax.Array


def add_episode_batch(counts: Counts, batch) -> Counts:
    """Add every transition of a tabular trajectory batch (obs ``[..., 2] = (h, s)``)."""
    return add_transitions(counts, batch.obs[..., 0], batch.obs[..., 1], batch.action,
                           batch.reward, batch.next_obs[..., 1])


class UCBVI(Agent):
    name = "ucbvi"

    def plan(self, counts, rewards, episodes, hp):
        return optimistic_plan(counts, rewards, episodes, hp.delta, hp.bonus_scale, hp.bonus)

    def init(self, key, spec, hp):
        H, S, A = spec.sizes["H"], spec.sizes["S"], spec.sizes["A"]
        counts = zero_counts(H, S, A)
        rewards = spec.known.get("r")
        plan = self.plan(counts, rewards, jnp.float64(0), hp)
        return UCBVIState(counts, rewards, plan.actions, jnp.float64(0))

    def act(self, key, state, carry, obs, hp):
        return state.actions[obs[0], obs[1]], carry, {}

    def update(self, key, state, batch, hp):
        counts = add_episode_batch(state.counts, batch)
        episodes = state.episodes + jnp.sum(batch.done)
        plan = self.plan(counts, state.rewards, episodes, hp)
        return UCBVIState(counts, state.rewards, plan.actions, episodes), {}

    def evaluate(self, state, hp, model):
        return {"value": policy_value(model, deterministic_policy(state.actions, model.A))}


@hparams
class UCBVIParams(HParams):
    """``bonus_scale`` c (1 = valid bound), ``delta`` confidence, ``bonus`` kind (static)."""

    bonus_scale: float = 1.0
    delta: float = 0.05
    bonus: str = static("l1")

    def make_agent(self):
        return UCBVI()

    def validate(self):
        if not self.bonus_scale >= 0:
            raise ConfigError(f"bonus_scale must be >= 0, got {self.bonus_scale}")
        if not 0 < self.delta < 1:
            raise ConfigError(f"delta must be in (0, 1), got {self.delta}")
        if self.bonus not in BONUS_KINDS:
            raise ConfigError(f"bonus must be one of {list(BONUS_KINDS)}, got {self.bonus!r}")
