"""StepMix and EpsMix on gymnasium's FrozenLake (4x4, slippery), imported as an exact tabular MDP.

The toy-text importer (:func:`rlkit.tabular.from_gymnasium`) turns the gymnasium transition table
into a finite-horizon model (``H`` steps, an absorbing state for the holes and the goal); the
baseline is ``0.8 pi* + 0.2 Uniform``. The reward is 1 at the goal, so values are probabilities
of reaching it within ``H`` steps: small, with a small slack ``alpha V^b``, which is where exact
float64 values matter (spec ``specs/stepmix.md`` §10b). Seeds differ in their random numbers only.
"""
from __future__ import annotations

import rlkit
from agents.conservative import BaselineParams, EpsMixParams, StepMixParams
from agents.conservative.ucbvi import BoundedUCBVIParams
from envs.conservative import ConservativeToyTextConfig
from experiments.stepmix_common import conservative_report, sync_episodes_bound
from rlkit import ExperimentConfig, RunConfig, TrainConfig

EPISODES = 3000
H = 10


def config() -> ExperimentConfig:
    common = dict(alpha=0.2, delta=0.05, bonus_scale=0.05, episodes_bound=float(EPISODES))
    return ExperimentConfig(
        name="stepmix_frozenlake",
        env=ConservativeToyTextConfig(env_id="FrozenLake-v1", H=H, is_slippery=True),
        agent=StepMixParams(**common),
        baselines={
            "EpsMix": EpsMixParams(**common),
            "UCBVI": BoundedUCBVIParams(bonus_scale=0.05, delta=0.05, episodes_bound=float(EPISODES)),
            "Baseline": BaselineParams(**common),
        },
        train=TrainConfig(num_iterations=EPISODES, num_envs=1, rollout_len=H),
        run=RunConfig(seeds=4, chunks=3, plot_metrics=("regret", "value", "rho")),
        description=__doc__,
    )


def report(result) -> None:
    conservative_report(result)


def main(cfg, overrides=None, resume=None, quiet=False):
    cfg = sync_episodes_bound(cfg, overrides)
    rlkit.run(cfg, overrides=overrides, report=report, resume=resume, quiet=quiet,
              experiment="stepmix_frozenlake")
    return 0
