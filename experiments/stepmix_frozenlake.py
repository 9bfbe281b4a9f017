"""StepMix and EpsMix on gymnasium's FrozenLake (4x4), imported as an exact tabular MDP.

The toy-text importer (:func:`rlkit.tabular.from_gymnasium`) turns the gymnasium transition table
into a finite-horizon model (``H = 8`` steps, an absorbing state for the holes and the goal); the
baseline is ``0.8 pi* + 0.2 Uniform`` (``V^b = 0.40``, ``V* = 1``), ``alpha = 0.2``. The reward is 1
at the goal, so values are probabilities of reaching it; the L1 bonus scales with the steps left
(``H - h``), far above this value range, hence the small bonus scale ``c = 0.01`` (spec
``specs/stepmix.md`` §10b). EpsMix sits exactly on the threshold while ``rho = alpha``: the
violation count on exact float64 values (1e-9 tolerance) is what keeps that honest. The
deterministic map (``is_slippery = False``) is used: with slippery ice ``V*`` within a short horizon
is a few percent and nothing is learned in a few thousand episodes. Seeds differ in their random
numbers only (one instance).
"""
from __future__ import annotations

import rlkit
from agents.conservative import BaselineParams, EpsMixParams, StepMixParams
from agents.conservative.ucbvi import BoundedUCBVIParams
from envs.conservative import ConservativeToyTextConfig
from experiments.stepmix_common import conservative_report, sync_episodes_bound
from rlkit import ExperimentConfig, RunConfig, TrainConfig

EPISODES = 5000
H = 8


def config() -> ExperimentConfig:
    common = dict(alpha=0.2, delta=0.05, bonus_scale=0.01, episodes_bound=float(EPISODES))
    return ExperimentConfig(
        name="stepmix_frozenlake",
        env=ConservativeToyTextConfig(env_id="FrozenLake-v1", H=H, is_slippery=False),
        agent=StepMixParams(**common),
        baselines={
            "EpsMix": EpsMixParams(**common),
            "UCBVI": BoundedUCBVIParams(bonus_scale=0.01, delta=0.05, episodes_bound=float(EPISODES)),
            "Baseline": BaselineParams(**common),
        },
        train=TrainConfig(num_iterations=EPISODES, num_envs=1, rollout_len=H),
        run=RunConfig(seeds=4, chunks=5, plot_metrics=("regret", "value", "rho")),
        description=__doc__,
    )


def report(result) -> None:
    conservative_report(result)


def main(cfg, overrides=None, resume=None, quiet=False):
    cfg = sync_episodes_bound(cfg, overrides)
    rlkit.run(cfg, overrides=overrides, report=report, resume=resume, quiet=quiet,
              experiment="stepmix_frozenlake")
    return 0
