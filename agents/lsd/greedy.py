"""Oracle Greedy (Laforgue et al. 2022, the "OG" baseline of ``run_exp.py``; spec §2.2).

Knows the true payoffs and plays ``argmax_i mu_i(tau_i)`` every round, ties broken uniformly at
random. It is not a constant-factor approximation: on Laforgue's experiment 2 it replays the arm
paying 0.06 forever while alternating pays 0.5 per round (spec §4, test 8). It is the negative
control of the approximation-ratio and regret-growth checks.
"""
from __future__ import annotations


from rlkit.agent import Agent, HParams, hparams
from rlkit.lsd import arm_means
from agents.lsd.common import known_mu, lsd_sizes, tie_break_argmax


class OracleGreedy(Agent):
    name = "oracle_greedy"

    def init(self, key, spec, hp):
        lsd_sizes(spec)
        return known_mu(spec, "Oracle Greedy")

    def act(self, key, state, carry, obs, hp):
        return tie_break_argmax(key, arm_means(state, obs["state"])), carry, {}


@hparams
class OracleGreedyParams(HParams):
    """Oracle Greedy has no hyper-parameters."""

    label = "Oracle Greedy"

    def make_agent(self):
        return OracleGreedy()
