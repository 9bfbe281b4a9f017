"""Two-phase training of the two-level learner in Gather-Trade-Build (spec §3.2), and the four tax
policies compared in the paper (spec §4): free market, US federal, Saez and the learned planner.

A thin adapter around :class:`agents.economist.two_level.TwoLevelPPO` (issue 8), which already
reads Gather-Trade-Build's observation / action pytrees and its ``info["labor_cost"]``:

1. **Phase 1, agents alone** (Foundation's ``phase1`` config): free market (no tax), the planner
   frozen, the agents' labor cost annealed in by the learner's energy warm-up
   (``energy_warmup_constant``: ``kappa_eff = kappa (1 - exp(-n / C))``, ``n`` the steps with positive
   mean agent reward). One run per seed.
2. **Phase 2, agents and planner** (``phase2``): the agents restore the phase-1 weights (parameters,
   optimiser state, observation statistics) and face the full labor cost; the planner (fresh) is
   trained with tax annealing and its entropy decaying from ``planner_ent_start``. Each seed's
   phase-1 agents are continued under every policy: the learned planner, or a fixed schedule set
   by the env (``tax_mode``), where the planner is not trained (``planner_lr = 0``). All
   (seed, policy) pairs run in one vmapped, jitted program: the env params carry the policy.

The functions here know no concrete env class (DESIGN.md: agents never import envs): they take
the env, its per-policy params and the learner's hyper-parameters.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from agents.economist.two_level import TwoLevelParams, TwoLevelState
from rlkit.batch import seed_keys, stack_hparams
from rlkit.trainer import TrainConfig, make_train


def gtb_learner_params(phase1_iterations: int, phase2_iterations: int, **overrides) -> TwoLevelParams:
    """The learner for Gather-Trade-Build: Foundation's PPO settings (spec §3.1: clip 0.3,
    gamma 0.998, lambda 0.98, vf coefficient 0.05, agent entropy 0.025, planner entropy 2.0 -> 0.125),
    the conv encoder (16, 32 filters) and a feed-forward 128-128 stack [design: no LSTM], with the
    curriculum lengths scaled to the run: the energy warm-up constant is 1/10 of phase 1's steps
    per env (Foundation: 10 000 of 25M / 30 envs), the planner's entropy decays over the first
    2/3 of phase 2 and the tax annealing opens every rate after 3/4 of phase 2's episodes.
    ``overrides`` replace any field (e.g. the schedule lengths, computed by :func:`scaled_schedules`)."""
    base = dict(agent_lr=3e-4, planner_lr=1e-4, agent_ent_coef=0.025, agent_ent_end=0.025,
                planner_ent_start=2.0, planner_ent_end=0.125,
                planner_ent_anneal=float(max(1, 2 * phase2_iterations // 3)), gamma=0.998,
                planner_gamma=0.998, gae_lambda=0.98, clip_eps=0.3, vf_coef=0.05, vf_clip=50.0,
                agent_reward_scale=0.1, planner_reward_scale=0.1, conv_features=(16, 32),
                agent_hidden=(128, 128), planner_hidden=(128, 128), warmup_taxes="none",
                label="AI Economist")
    base.update(overrides)
    return TwoLevelParams(**base)


def scaled_schedules(episode_length: int, rollout_len: int, phase1_iterations: int,
                     phase2_iterations: int, open_fraction: float = 0.75) -> dict:
    """Curriculum constants scaled to a run (see :func:`gtb_learner_params`): energy warm-up
    constant (steps per env), planner entropy anneal (iterations) and the tax-annealing slope
    (``limit = clip(slope (completions - warmup), 0, 1)`` on episodes per env replica, Foundation
    ``[-100, 0.001]``: 10% at the start, 100% after 900 episodes; here the same 10% start and
    100% after ``open_fraction`` of phase 2's episodes; above 1 the limit ends phase 2 at
    ``0.1 + 0.9 / open_fraction``)."""
    steps1 = phase1_iterations * rollout_len
    episodes2 = max(phase2_iterations * rollout_len / episode_length, 1.0)
    full_after = open_fraction * episodes2
    slope = 0.9 / full_after
    return dict(energy_warmup_constant=float(max(steps1 / 10.0, 1.0)),
                planner_ent_anneal=float(max(1, 2 * phase2_iterations // 3)),
                tax_anneal_warmup=float(-0.1 / slope), tax_anneal_slope=float(slope))


def phase1_params(hp: TwoLevelParams) -> TwoLevelParams:
    """Phase 1: agents alone (the planner frozen, the energy warm-up as configured)."""
    return dataclasses.replace(hp, planner_lr=0.0, agent_warmup=0.0)


def phase2_params(hp: TwoLevelParams, train_planner: bool) -> TwoLevelParams:
    """Phase 2: full labor cost (no energy warm-up), the planner trained or frozen."""
    return dataclasses.replace(hp, energy_warmup_constant=0.0, agent_warmup=0.0,
                               planner_lr=hp.planner_lr if train_planner else 0.0)


@dataclass(frozen=True)
class TwoPhaseResult:
    """Agent states and per-iteration metrics (leading axes ``[S, P]``: seed, policy; then the
    iteration axis) after phase 1 (every policy's entry holds its seed's shared phase-1 run) and
    after phase 2."""

    phase1_state: Any
    phase1_metrics: dict
    phase2_state: Any
    phase2_metrics: dict


UNSEEN_VARIANCE = 1e-6


def continue_agents(fresh: TwoLevelState, trained: TwoLevelState) -> TwoLevelState:
    """Phase 2's starting state: the trained agents (weights, optimiser, observation statistics)
    with a fresh planner and fresh curriculum counters.

    [design] Features that never varied in phase 1 (the tax rates, marginal rates and tax-period
    incomes of a free market are constant) have a running variance of ~0, so phase 2's first taxes
    would be standardised to the clip value (+-10) and derail the trained agents. Their variance is
    reset to 1: such features pass through unscaled (they are already scaled by the env)."""
    stats = trained.agent_stats
    stats = stats.replace(var=jnp.where(stats.var < UNSEEN_VARIANCE, 1.0, stats.var))
    return fresh.replace(agents=trained.agents, agent_stats=stats)


class TwoPhaseTrainer:
    """Both phases as chunks of ONE compiled program over ``[S, P]`` (seed, policy) runs: the
    chunk ``(runners, hps, env_params) -> (runners, metrics)`` is jitted once; phase 1 calls it
    with every policy slot playing the free market with the phase-1 hyper-parameters, phase 2 with
    the policies' env params and hyper-parameters, after :func:`continue_agents` has copied each
    seed's phase-1 agents (policy slot 0) into every slot. The phase-1 work of slots ``1..P-1`` is
    redundant (discarded); that buys one compile instead of two, which dominates small runs on a
    CPU. Phase lengths are multiples of ``chunk`` iterations."""

    def __init__(self, env: Any, agent: Any, train: TrainConfig, chunk: int):
        self.trainer = make_train(env, agent, train)
        self.chunk = int(chunk)
        grid = jax.vmap(jax.vmap(self.trainer.init, in_axes=(0, 0, 0)), in_axes=(0, 0, 0))
        self._init = jax.jit(grid)
        run = lambda r, hp, p: self.trainer.run_chunk(r, hp, p, self.chunk)  # noqa: E731
        self._chunk = jax.jit(jax.vmap(jax.vmap(run)))

    def init(self, keys: jax.Array, hps: Any, env_params: Any):
        return self._init(keys, hps, env_params)

    def run(self, runners, hps, env_params, iterations: int):
        if iterations % self.chunk:
            raise ValueError(f"iterations ({iterations}) must be a multiple of the chunk ({self.chunk})")
        out = []
        for _ in range(iterations // self.chunk):
            runners, metrics = self._chunk(runners, hps, env_params)
            out.append(jax.tree_util.tree_map(np.asarray, metrics))
        metrics = {k: np.concatenate([m[k] for m in out], axis=2) for k in out[0]} if out else {}
        return runners, metrics


def _grid(tree_list: Sequence[Any], seeds: int) -> Any:
    """Stack ``P`` pytrees on a policy axis and broadcast a seed axis: ``[S, P, ...]``."""
    stacked = jax.tree_util.tree_map(lambda *x: jnp.stack([jnp.asarray(v) for v in x]), *tree_list)
    return jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (seeds,) + x.shape), stacked)


def train_two_phase(env: Any, phase1_env_params: Any, phase2_env_params: Sequence[Any],
                    hp1: TwoLevelParams, hp2: Sequence[TwoLevelParams], seeds: int,
                    train: TrainConfig, phase1_iterations: int, phase2_iterations: int,
                    chunk: int | None = None, base_seed: int = 0) -> TwoPhaseResult:
    """Phase 1 for ``seeds`` seeds, then phase 2 for every (seed, policy) pair, the policy ``p``
    given by ``phase2_env_params[p]`` and ``hp2[p]`` (see :class:`TwoPhaseTrainer`)."""
    n_pol = len(phase2_env_params)
    if len(hp2) != n_pol:
        raise ValueError(f"{n_pol} policies' env params but {len(hp2)} hyper-parameter sets")
    stack_hparams([hp1] + list(hp2))          # raises ConfigError when static fields differ
    chunk = chunk or np.gcd(phase1_iterations, phase2_iterations)
    runner = TwoPhaseTrainer(env, hp1.make_agent(), train, chunk)
    keys = seed_keys(base_seed, seeds)
    k1 = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 1), n_pol))(keys)
    k1 = jnp.broadcast_to(k1[:, :1], k1.shape)          # every slot replays the seed's phase-1 run
    k2 = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 2), n_pol))(keys)
    hps1, params1 = _grid([hp1] * n_pol, seeds), _grid([phase1_env_params] * n_pol, seeds)
    runners1, metrics1 = runner.run(runner.init(k1, hps1, params1), hps1, params1, phase1_iterations)
    hps2, params2 = _grid(list(hp2), seeds), _grid(list(phase2_env_params), seeds)
    fresh = runner.init(k2, hps2, params2)
    shared = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x[:, :1], x.shape), runners1.agent_state)
    fresh = fresh.replace(agent_state=jax.vmap(jax.vmap(continue_agents))(fresh.agent_state, shared))
    runners2, metrics2 = runner.run(fresh, hps2, params2, phase2_iterations)
    return TwoPhaseResult(runners1.agent_state, metrics1, runners2.agent_state, metrics2)


@dataclass(frozen=True)
class TwoPhaseConfig:
    """The shape of a two-phase run (the ``train`` part of a GTB experiment config): iterations of
    each phase, parallel envs per run, env steps per env per iteration, iterations per jitted chunk
    (both phase lengths must be multiples of it)."""

    phase1_iterations: int = 200
    phase2_iterations: int = 200
    num_envs: int = 8
    rollout_len: int = 100
    chunk: int = 50

    def validate(self) -> None:
        from rlkit.config import ConfigError
        for name in ("phase1_iterations", "phase2_iterations", "num_envs", "rollout_len", "chunk"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"train.{name} must be an integer >= 1, got {v!r}")
        for name in ("phase1_iterations", "phase2_iterations"):
            if getattr(self, name) % self.chunk:
                raise ConfigError(f"train.{name} ({getattr(self, name)}) must be a multiple of train.chunk ({self.chunk})")

    def train_config(self) -> TrainConfig:
        return TrainConfig(self.phase1_iterations + self.phase2_iterations, self.num_envs, self.rollout_len,
                           evaluate=False)
