"""Policy-only agents shared by every family: uniformly random actions, and a fixed tabular
policy table (a known baseline policy, or the policy of a benchmark)."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams
from rlkit.config import ConfigError
from rlkit.tabular import cumulative, policy_value, sample_cdf


class UniformRandom(Agent):
    """Samples every action uniformly from the env's action space; never learns."""

    name = "uniform"

    def init(self, key, spec, hp):
        return _SpaceHolder(spec.action_space)

    def act(self, key, state, carry, obs, hp):
        return state.space.sample(key), carry, {}


@struct.dataclass
class _SpaceHolder:
    """The action space as static data of the agent state (no leaves)."""

    space: Any = struct.field(pytree_node=False)


@hparams
class UniformRandomParams(HParams):
    def make_agent(self):
        return UniformRandom()


class TabularPolicy(Agent):
    """Plays a fixed policy table ``pi[H, S, A]`` (hyper-parameter ``hp.policy``) on a tabular
    env with observations ``[h, s]``; actions by inverse CDF."""

    name = "tabular_policy"

    def init(self, key, spec, hp):
        return cumulative(jnp.asarray(hp.policy)).astype(jnp.float32)

    def act(self, key, state, carry, obs, hp):
        return sample_cdf(key, state[obs[0], obs[1]]), carry, {}

    def evaluate(self, state, hp, model):
        return {"value": policy_value(model, jnp.asarray(hp.policy, jnp.float64))}


@hparams
class TabularPolicyParams(HParams):
    policy: jax.Array = None

    def make_agent(self):
        return TabularPolicy()

    def validate(self):
        import numpy as np
        if self.policy is None:
            raise ConfigError("policy must be a table pi[H, S, A] of action probabilities")
        pi = np.asarray(self.policy, np.float64)
        if pi.ndim != 3 or np.any(pi < 0) or not np.allclose(pi.sum(-1), 1.0, atol=1e-6):
            raise ConfigError(f"policy must be a distribution over actions per (h, s): shape "
                              f"[H, S, A], nonnegative, rows summing to 1 (got shape {pi.shape})")
