"""StepMix vs EpsMix vs UCBVI vs the baseline on the paper's random MDPs (S=A=5, H=3, 10 trials).

Li, Huang, Shen & Yang, "Near-optimal Conservative Exploration in RL under Episode-wise
Constraints", ICML 2023 (spec ``specs/stepmix.md`` §6, §9 instance I-A): rewards U[0, 1],
Dirichlet(1) transitions, one random MDP per seed; the baseline ``0.8 pi* + 0.2 Uniform``;
``alpha = 0.1``, ``delta = 0.05``, practical bonus scale ``c = 0.2``. Prints the results table and
a table of constraint violations on exact values; plots the expected return per episode against
the threshold line ``(1 - alpha) V^b`` and the cumulative regret. ``--set train.num_iterations=N``
scales it up (the bonus's union bound follows ``N``).
"""
from __future__ import annotations

import rlkit
from agents.conservative import BaselineParams, EpsMixParams, StepMixParams
from agents.conservative.ucbvi import BoundedUCBVIParams
from envs.conservative import ConservativeRandomMDPConfig
from experiments.stepmix_common import conservative_report, sync_episodes_bound
from rlkit import ExperimentConfig, RunConfig, TrainConfig

EPISODES = 5000


def config() -> ExperimentConfig:
    common = dict(alpha=0.1, delta=0.05, bonus_scale=0.2, episodes_bound=float(EPISODES))
    return ExperimentConfig(
        name="stepmix_paper",
        env=ConservativeRandomMDPConfig(S=5, A=5, H=3, baseline="mixed", baseline_weight=0.8),
        agent=StepMixParams(**common),
        baselines={
            "EpsMix": EpsMixParams(**common),
            "UCBVI": BoundedUCBVIParams(bonus_scale=0.2, delta=0.05, episodes_bound=float(EPISODES)),
            "Baseline": BaselineParams(**common),
        },
        train=TrainConfig(num_iterations=EPISODES, num_envs=1, rollout_len=3),
        run=RunConfig(seeds=10, chunks=5, plot_metrics=("regret", "value", "rho")),
        description=__doc__,
    )


def report(result) -> None:
    conservative_report(result)


def main(cfg, overrides=None, resume=None, quiet=False):
    cfg = sync_episodes_bound(cfg, overrides)
    rlkit.run(cfg, overrides=overrides, report=report, resume=resume, quiet=quiet,
              experiment="stepmix_paper")
    return 0
