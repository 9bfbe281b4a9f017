"""The trainer: a whole training run as one jittable function (PureJaxRL's ``make_train``).

``trainer = make_train(env, agent, cfg)`` gives

- ``trainer(key, hp, env_params) -> TrainOutput``: ``lax.scan`` over ``cfg.num_iterations``
  iterations, each a rollout of ``cfg.rollout_len`` steps in ``cfg.num_envs`` envs and one
  ``agent.update``; metrics are stacked per iteration;
- ``trainer.init`` and ``trainer.run_chunk``: the same run cut into chunks, so that a Python loop
  can log, show progress and checkpoint between jitted calls (Stoix/Brax pattern). Running the
  chunks back to back gives bit-identical results to one call.

Per-iteration metrics: ``return`` (mean over envs of the last finished episode's return),
``episodes`` (episodes finished in the rollout), the env's additive ``metric_keys`` (summed over
the rollout, averaged over envs), everything ``agent.update`` returns, and, when the env has an
exact model and the agent an ``evaluate``, the exact ``value`` of the policy deployed in that
iteration and its pseudo-regret ``regret = V* - value``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, Trajectory
from rlkit.config import ConfigError
from rlkit.env import Env
from rlkit.rollout import rollout
from rlkit.wrappers import EpisodeStatistics


@dataclass(frozen=True)
class TrainConfig:
    """Static shape of a training run.

    Attributes:
      num_iterations: rollout + update iterations (episodes for an episodic tabular agent with
        ``rollout_len = H``, rounds for a bandit with ``rollout_len = 1``).
      num_envs: parallel envs per run (per seed).
      rollout_len: env steps per env per iteration.
      evaluate: compute exact metrics (``value``, ``regret``) when the env exposes a model.
    """

    num_iterations: int = 1000
    num_envs: int = 1
    rollout_len: int = 1
    evaluate: bool = True

    def validate(self) -> None:
        for name in ("num_iterations", "num_envs", "rollout_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"train.{name} must be an integer >= 1, got {value!r}")


@struct.dataclass
class RunnerState:
    agent_state: Any
    env_state: Any
    obs: Any
    carry: Any
    key: jax.Array
    iteration: jax.Array
    optimal_value: Any  # V* of the exact model, or None


class TrainOutput(NamedTuple):
    state: RunnerState
    metrics: dict


def _mean_all(x: Any) -> jax.Array:
    return jnp.mean(jnp.asarray(x))


def _flatten_metric(prefix: str, value: Any) -> dict:
    """Scalar metrics from a possibly nested pytree (a multi-agent reward gives one per entry)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten_metric(f"{prefix}/{k}", v))
        return out
    return {prefix: value}


def rollout_metrics(traj: Trajectory, metric_keys: tuple[str, ...]) -> dict:
    """Episode statistics and the env's additive metrics of one rollout ``[num_envs, T]``."""
    metrics = {}
    last_return = jax.tree_util.tree_map(lambda x: x[:, -1], traj.info["episode_return"])
    for name, value in _flatten_metric("return", last_return).items():
        metrics[name] = _mean_all(value)
    metrics["episodes"] = jnp.sum(traj.info["episode_done"]).astype(jnp.int32)
    for key in metric_keys:
        # sum over the rollout (axis 1), mean over envs and any per-agent axes
        summed = jax.tree_util.tree_map(lambda x: jnp.sum(x, axis=1), traj.info[key])
        for name, value in _flatten_metric(key, summed).items():
            metrics[name] = _mean_all(value)
    return metrics


class Trainer:
    """See the module docstring. Build with :func:`make_train`."""

    def __init__(self, env: Env, agent: Agent, cfg: TrainConfig):
        cfg.validate()
        self.base_env = env
        self.env = EpisodeStatistics(env)
        self.agent = agent
        self.cfg = cfg

    def _exact(self, env_params) -> Any:
        if not self.cfg.evaluate or getattr(self.agent, "evaluate", None) is None:
            return None
        return self.base_env.exact_model(env_params)

    def init(self, key: jax.Array, hp: Any, env_params: Any = None) -> RunnerState:
        env_params = self.base_env.default_params() if env_params is None else env_params
        spec = self.base_env.spec(env_params)
        k_agent, k_env, k_carry, key = jax.random.split(key, 4)
        agent_state = self.agent.init(k_agent, spec, hp)
        obs, env_state = jax.vmap(self.env.reset, in_axes=(0, None))(
            jax.random.split(k_env, self.cfg.num_envs), env_params)
        carry = jax.vmap(self.agent.start_episode, in_axes=(0, None, None))(
            jax.random.split(k_carry, self.cfg.num_envs), agent_state, hp)
        model = self._exact(env_params)
        optimal = None if model is None else model.optimal_value()
        return RunnerState(agent_state, env_state, obs, carry, key, jnp.int32(0), optimal)

    def iteration(self, runner: RunnerState, hp: Any, env_params: Any) -> tuple[RunnerState, dict]:
        """One rollout and one update (the body of the training scan)."""
        spec = self.base_env.spec(env_params)
        key, k_roll, k_update = jax.random.split(runner.key, 3)
        metrics = {}
        model = self._exact(env_params)
        if model is not None:
            exact = self.agent.evaluate(runner.agent_state, hp, model)
            metrics.update(exact)
            metrics["regret"] = runner.optimal_value - exact["value"]
        env_state, obs, carry, traj = rollout(
            self.env, self.agent, env_params, hp, runner.agent_state, runner.env_state,
            runner.obs, runner.carry, k_roll, self.cfg.rollout_len)
        agent_state, update_metrics = self.agent.update(k_update, runner.agent_state, traj, hp)
        metrics.update(rollout_metrics(traj, spec.metric_keys))
        metrics.update(update_metrics)
        runner = runner.replace(agent_state=agent_state, env_state=env_state, obs=obs, carry=carry,
                                key=key, iteration=runner.iteration + 1)
        return runner, metrics

    def run_chunk(self, runner: RunnerState, hp: Any, env_params: Any = None,
                  num_iterations: int | None = None) -> tuple[RunnerState, dict]:
        """``num_iterations`` iterations (default: the whole run) as one ``lax.scan``."""
        env_params = self.base_env.default_params() if env_params is None else env_params
        n = self.cfg.num_iterations if num_iterations is None else num_iterations
        return jax.lax.scan(lambda r, _: self.iteration(r, hp, env_params), runner, None, length=n)

    def __call__(self, key: jax.Array, hp: Any, env_params: Any = None) -> TrainOutput:
        env_params = self.base_env.default_params() if env_params is None else env_params
        runner = self.init(key, hp, env_params)
        runner, metrics = self.run_chunk(runner, hp, env_params)
        return TrainOutput(runner, metrics)


def make_train(env: Env, agent: Agent, cfg: TrainConfig) -> Trainer:
    """Build the jittable ``train(key, hp, env_params) -> TrainOutput`` (see the module docstring)."""
    return Trainer(env, agent, cfg)
