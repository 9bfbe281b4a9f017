"""OSPO: One-Step Policy Optimization for order dispatch (Zhao & Li 2025, spec ospo.md §4).

Each minute, the advantage of a matched vehicle is its one-step reward normalised over the
vehicles matched in the same minute, ``A = (r - mean) / (std + 1e-8)`` (+ the optional fairness
term): no critic, no reward-to-go ("one step is enough" under a homogeneous fleet). The loss is
GRPO's PPO-clip + KL anchor + entropy (:mod:`agents.ridesharing.policy_optimization`).

Defaults follow the official code where it is known (clip 0.2 with upper x1.4, KL 0.5 gated,
entropy 0.05, grad-norm 1.0, 10 minibatches of 256, gamma 0.99, the 128-128 LeakyReLU network).
[design] departures, for small CPU runs: learning rate 1e-3 (code 1e-5 on ~1000 episodes of
1000 vehicles), the ``eta`` pair feature, ``sample`` exploration, and no fairness term by
default (``fairness_term="delta_std"`` gives the code's OSPO shaping).
"""
from __future__ import annotations

from agents.ridesharing.policy_optimization import GroupPolicyOptimization, GroupPolicyParamsMixin
from rlkit.agent import hparams, static


@hparams
class OSPOParams(GroupPolicyParamsMixin):
    """OSPO hyper-parameters (floats are vmappable leaves; ``static`` fields fix the program)."""

    learning_rate: float = 1e-3
    lr_decay: float = 1.0
    gamma: float = 0.99
    clip_eps: float = 0.2
    clip_high_ratio: float = 1.4
    kl_coef: float = 0.5
    kl_max: float = 0.01
    ent_coef: float = 0.05
    max_grad_norm: float = 1.0
    explore_boost: float = 1.0
    epsilon_start: float = 1.0
    epsilon_decay: float = 0.99
    epsilon_min: float = 0.0005
    eval_fraction: float = 0.1
    advantage: str = static("ospo_one_step")
    norm_scope: str = static("step")
    fairness_term: str = static("none")
    exploration: str = static("sample")
    features: str = static("eta")
    hidden: tuple[int, ...] = static((128, 128))
    num_minibatches: int = static(10)
    minibatch_size: int = static(256)
    label: str = static("OSPO")

    def make_agent(self):
        return GroupPolicyOptimization()
