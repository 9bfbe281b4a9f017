"""StepMix on the paper's random MDPs at one conservative slack alpha (the target of the sweep
``experiments/sweeps/stepmix_alpha.yaml``; spec ``specs/stepmix.md`` §11 test 15).

Instance I-A (S=A=5, H=3, baseline 0.8 pi* + 0.2 U), c = 0.2, 10 seeds x 4000 episodes; UCBVI as
the reference. ``--set agent.alpha=0.3`` changes the slack.
"""
from __future__ import annotations

import rlkit
from agents.conservative import StepMixParams
from agents.conservative.ucbvi import BoundedUCBVIParams
from envs.conservative import ConservativeRandomMDPConfig
from experiments.stepmix_common import conservative_report, sync_episodes_bound
from rlkit import ExperimentConfig, RunConfig, TrainConfig

EPISODES = 4000


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="stepmix_alpha",
        env=ConservativeRandomMDPConfig(S=5, A=5, H=3),
        agent=StepMixParams(alpha=0.1, delta=0.05, bonus_scale=0.2, episodes_bound=float(EPISODES)),
        baselines={"UCBVI": BoundedUCBVIParams(bonus_scale=0.2, delta=0.05, episodes_bound=float(EPISODES))},
        train=TrainConfig(num_iterations=EPISODES, num_envs=1, rollout_len=3),
        run=RunConfig(seeds=10, chunks=4, plot_metrics=("regret", "value", "rho")),
        description=__doc__,
    )


def report(result) -> None:
    conservative_report(result)


def main(cfg, overrides=None, resume=None, quiet=False):
    cfg = sync_episodes_bound(cfg, overrides)
    rlkit.run(cfg, overrides=overrides, report=report, resume=resume, quiet=quiet,
              experiment="stepmix_alpha")
    return 0
