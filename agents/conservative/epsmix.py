"""EpsMix (Li, Huang, Shen & Yang, ICML 2023; spec ``specs/stepmix.md`` §3): the randomised,
episode-level mixture.

At the start of episode ``k`` a coin ``xi_k ~ Bernoulli(rho_k)`` decides whether the whole episode
follows the optimistic policy ``pi_bar_k`` or the baseline, so the expected return is linear in
``rho``: ``rho V(pi_bar) + (1 - rho) V^b``. [design] With ``v_low = LCB_clip(pi_bar)``,
``rho_k = 1`` when ``v_low >= (1 - alpha) V^b`` and ``alpha V^b / (V^b - v_low)`` otherwise, the
closed form that makes the certified value equal the threshold (spec §3; the paper's exact rule is
unconfirmed).

The coin lives in the per-env ``carry``: ``start_episode`` draws ``u ~ U[0, 1)`` from the rollout's
episode-start key, a stream separate from the environment's, and ``act`` compares ``u < rho_k``
with the ``rho_k`` of the current agent state (the carry is drawn before the update that fixes
``rho_k``; comparing at act time keeps the coin Bernoulli(``rho_k``)). With ``alpha = 1``,
``rho_k = 1`` and the coin always says "optimistic": the run reproduces UCBVI bit for bit.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from agents.conservative.common import ConservativeAgent, ConservativeParams, Context
from rlkit.agent import hparams
from rlkit.tabular import deterministic_policy, policy_value, sample_cdf
from rlkit.tabular.conservative import episode_mixture_value, epsmix_rho, policy_lower_value


class EpsMix(ConservativeAgent):
    name = "epsmix"

    def decide(self, ctx: Context, hp):
        """Closed-form ``rho`` from Policy-Eva of ``pi_bar`` (spec §3; offline form §4)."""
        plan = ctx.plan
        lower = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, ctx.optimistic, ctx.mu,
                                   clip=True)
        rho = epsmix_rho(lower, ctx.baseline_lower, ctx.threshold)
        return rho, episode_mixture_value(rho, lower, ctx.baseline_lower)

    def start_episode(self, key, state, hp):
        """The episode's coin, as a uniform ``u``; the coin is ``u < rho``."""
        return jax.random.uniform(key, (), jnp.float64)

    def act(self, key, state, carry, obs, hp):
        h, s = obs[0], obs[1]
        explore = carry < state.rho
        baseline_action = sample_cdf(key, state.baseline_cdf[h, s])
        return jnp.where(explore, state.optimistic[h, s], baseline_action), carry, {}

    def deployed_value(self, state, model):
        """``rho V(pi_bar) + (1 - rho) V(pi^b)``: the expectation over the coin (spec §8)."""
        optimistic = policy_value(model, deterministic_policy(state.optimistic, model.A))
        return episode_mixture_value(state.rho, optimistic, policy_value(model, state.baseline))


@hparams
class EpsMixParams(ConservativeParams):
    def make_agent(self):
        return EpsMix()
