"""Tuned hyper-parameters of the two-level learner for the one-step economy.

[design] Foundation's PPO settings (spec §3.1: clip 0.3, gamma 0.998, lambda 0.98, vf coefficient
0.05, entropy 0.025 / 2.0 -> 0.125, lr 3e-4 / 1e-4, 30 replicas x 200 steps) are tuned for the
1000-step GTB episodes and for hundreds of millions of samples. The one-step economy has 2-step
episodes and should be solved in minutes on 2 CPU cores, so :func:`one_step_params` uses:

- undiscounted returns (``gamma = lambda = 1``): the reward arrives on the last of two steps;
- an ordinal labor head (a discretised Gaussian over hours, ``agent_head="ordinal"``), so
  neighbouring hours share what the agent learns; a linear planner (no hidden layer): its input at
  the tax step is constant, so its policy is a learned categorical per bracket;
- an agent-only warm-up on uniformly random rates for the first 1/6 of the run (the spec's
  phase 1, with random taxes so the agents see every rate), then the planner's entropy coefficient
  decays linearly from 2.0 to 0.01 over 2/3 of the run (the spec's phase 2); no tax annealing
  (annealing on completed episodes would unmask everything in the first few iterations at
  256 economies per iteration);
- rewards scaled by 0.05, larger learning rates (5e-4 agents, 1e-3 planner), 2 epochs x 2
  minibatches, clip 0.2, gradient norm 1.
"""
from __future__ import annotations

from agents.economist.two_level import TwoLevelParams


def one_step_params(iterations: int, **overrides) -> TwoLevelParams:
    """The one-step learner for a run of ``iterations`` updates (schedules scale with it)."""
    base = dict(
        agent_lr=5e-4, planner_lr=1e-3, agent_reward_scale=0.05, planner_reward_scale=0.05,
        agent_ent_coef=0.01, agent_ent_end=0.001, agent_ent_anneal=float(iterations),
        planner_ent_start=2.0, planner_ent_end=0.01, planner_ent_anneal=float(iterations) * 2 / 3,
        agent_warmup=float(iterations) / 6, anneal_taxes=False, gamma=1.0, planner_gamma=1.0,
        gae_lambda=1.0, vf_clip=1000.0, vf_coef=0.5, num_epochs=2, num_minibatches=2, clip_eps=0.2,
        max_grad_norm=1.0, agent_hidden=(64, 64), planner_hidden=(), layer_norm=False,
        agent_head="ordinal", label="two-level PPO")
    base.update(overrides)
    return TwoLevelParams(**base)
