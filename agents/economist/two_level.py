"""The AI Economist's two-level learner (Zheng et al. 2021, spec §3): one policy shared by all
agents (parameter sharing, per-agent trajectories) and a planner policy, trained together with PPO
in one jitted run, with the two-phase curriculum:

1. agents-only warm-up (``agent_warmup`` iterations): the planner is not updated and plays either
   uniformly random rates (``warmup_taxes="random"``) or no tax (``"none"``, Foundation's phase-1
   free market); the agents' labor cost may be annealed in (``energy_warmup_constant``);
2. agents and planner: the planner's rates are limited by tax annealing (on completed episodes per
   env replica, counted from the end of the warm-up) and its entropy coefficient decays linearly
   from ``planner_ent_start`` to ``planner_ent_end`` over ``planner_ent_anneal`` iterations.

The env contract (DESIGN.md): observation ``{"agents": {..., "action_mask": [N, A]}, "planner":
{..., "action_mask": [B, K]}}``, action ``{"agents": [N], "planner": [B]}``, reward ``{"agents": [N],
"planner": []}``; ``spec.known["rate_grid"]`` gives the planner's rate of choice ``k >= 1``
(``k = 0`` keeps the current rate). ``fixed_rate_index >= 0`` makes the planner play that grid
index at every tax step without learning (a fixed flat tax; used by the best-response checks);
``flat_tax > 0`` ties every bracket to the first bracket's choice (a learned flat tax). Both are
leaves, so fixed-tax, flat-tax and bracketed runs share one compiled program.
[design] The policies are feed-forward (no LSTM, see :mod:`agents.economist.networks`).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from agents.economist import curriculum
from agents.economist.networks import EconomyActorCritic
from agents.economist.policy_update import PolicyHP, PolicyState, update_policy
from rlkit import distributions, ppo, running_stats
from rlkit.running_stats import RunningStats
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.tree import tree_where

WARMUP_TAXES = ("random", "none")


@struct.dataclass
class TwoLevelState:
    agents: PolicyState
    planner: PolicyState
    rate_grid: jax.Array         # [R]
    iteration: jax.Array         # updates done
    completions: jax.Array       # completed episodes per env replica since the warm-up ended
    positive_steps: jax.Array    # steps with mean agent reward > 0 (energy warm-up counter)
    agent_stats: RunningStats    # running mean / variance of the agents' flat features
    planner_stats: RunningStats
    n_actions: int = struct.field(pytree_node=False, default=0)   # agents' choices
    heads: int = struct.field(pytree_node=False, default=1)       # planner's brackets


def per_agent(x: jax.Array) -> jax.Array:
    """``[E, T, N, ...] -> [E * N, T, ...]``: each (env, agent) pair becomes one trajectory."""
    x = jnp.moveaxis(x, 2, 1)
    return x.reshape((x.shape[0] * x.shape[1],) + x.shape[2:])


def broadcast_agents(x: jax.Array, n: int) -> jax.Array:
    """``[E, T] -> [E, T, N]`` (episode flags shared by the agents of one env)."""
    return jnp.broadcast_to(x[..., None], x.shape + (n,))


class TwoLevelPPO(Agent):
    name = "two_level_ppo"

    # --- networks ---------------------------------------------------------------------------
    def agent_net(self, hp, n_actions: int) -> EconomyActorCritic:
        return EconomyActorCritic(n_actions, 0, tuple(hp.agent_hidden), tuple(hp.conv_features),
                                  layer_norm=hp.layer_norm, head=hp.agent_head)

    def planner_net(self, hp, n_choices: int, heads: int) -> EconomyActorCritic:
        return EconomyActorCritic(n_choices, heads, tuple(hp.planner_hidden), (), layer_norm=hp.layer_norm)

    def _nets(self, state: TwoLevelState, hp):
        return self.agent_net(hp, state.n_actions), self.planner_net(hp, state.rate_grid.shape[0] + 1, state.heads)

    # --- protocol -----------------------------------------------------------------------------
    def init(self, key, spec, hp):
        obs_space = spec.observation_space.spaces
        n_actions = int(spec.action_space.spaces["agents"].nvec[0])
        heads = len(spec.action_space.spaces["planner"].nvec)
        n_choices = int(spec.action_space.spaces["planner"].nvec[0])
        grid = jnp.asarray(spec.known["rate_grid"], jnp.float64)
        if n_choices != grid.shape[0] + 1:
            raise ConfigError(f"planner has {n_choices} choices per bracket but the rate grid has "
                              f"{grid.shape[0]} rates (expected rates + 1 'no change')")
        k_a, k_p = jax.random.split(key)
        agent_obs = {k: jnp.zeros(v.shape[1:], jnp.float32) for k, v in obs_space["agents"].spaces.items()
                     if k != "action_mask"}
        planner_obs = {k: jnp.zeros(v.shape, jnp.float32) for k, v in obs_space["planner"].spaces.items()
                       if k != "action_mask"}
        optimizer = ppo.adam_with_clipping(hp.max_grad_norm)
        a_params = self.agent_net(hp, n_actions).init(k_a, agent_obs)
        p_params = self.planner_net(hp, n_choices, heads).init(k_p, planner_obs)
        return TwoLevelState(
            agents=PolicyState(a_params, optimizer.init(a_params)),
            planner=PolicyState(p_params, optimizer.init(p_params)), rate_grid=grid,
            iteration=jnp.int32(0), completions=jnp.float64(0.0), positive_steps=jnp.float64(0.0),
            agent_stats=RunningStats.create(agent_obs["features"].shape[-1]),
            planner_stats=RunningStats.create(planner_obs["features"].shape[-1]),
            n_actions=n_actions, heads=heads)

    def in_warmup(self, state: TwoLevelState, hp) -> jax.Array:
        return state.iteration < hp.agent_warmup

    def planner_mask(self, state: TwoLevelState, env_mask: jax.Array, hp) -> jax.Array:
        """The env's planner mask restricted by tax annealing, the warm-up and a fixed rate."""
        r = state.rate_grid.shape[0]
        allowed = curriculum.annealed_tax_mask(state.completions, hp.tax_anneal_warmup,
                                               hp.tax_anneal_slope, state.rate_grid) | (not hp.anneal_taxes)
        choice = curriculum.planner_choice_mask(allowed)
        index = jnp.arange(r + 1)
        fixed = index == (jnp.asarray(hp.fixed_rate_index, jnp.int32) + 1)
        choice = jnp.where(hp.fixed_rate_index >= 0, fixed | (index == 0), choice)
        if hp.warmup_taxes == "none":
            choice = jnp.where(self.in_warmup(state, hp), (index <= 1), choice)
        mask = env_mask & choice
        # keep at least one allowed choice per head (the env's own choices when the restriction
        # removed everything, e.g. "no change" is masked on a tax step)
        return jnp.where(jnp.any(mask, axis=-1, keepdims=True), mask, env_mask)

    @staticmethod
    def head_weight(heads: int, hp) -> jax.Array:
        """Per-bracket weight of the planner's log-probability: with ``flat_tax`` every bracket
        copies the first bracket's choice (one flat rate), so only the first head counts."""
        first = (jnp.arange(heads) == 0).astype(jnp.float32)
        return jnp.where(hp.flat_tax > 0, first, jnp.ones(heads, jnp.float32))

    def planner_logits(self, state: TwoLevelState, obs_planner: dict, hp) -> tuple[jax.Array, jax.Array]:
        _, planner = self._nets(state, hp)
        logits, value = planner.apply(state.planner.params, _inputs(obs_planner, state.planner_stats, hp))
        uniform = self.in_warmup(state, hp) & (hp.warmup_taxes == "random")
        logits = jnp.where(uniform | (hp.fixed_rate_index >= 0), jnp.zeros_like(logits), logits)
        return logits, value

    def planner_distribution(self, state: TwoLevelState, obs_planner: dict, hp) -> jax.Array:
        """Probabilities ``[B, K]`` of the planner's choices (what it plays now)."""
        logits, _ = self.planner_logits(state, obs_planner, hp)
        mask = self.planner_mask(state, obs_planner["action_mask"], hp)
        return jax.nn.softmax(distributions.masked_logits(logits, mask), axis=-1)

    def agent_logits(self, state: TwoLevelState, obs_agents: dict, hp) -> tuple[jax.Array, jax.Array]:
        agent, _ = self._nets(state, hp)
        logits, value = agent.apply(state.agents.params, _inputs(obs_agents, state.agent_stats, hp))
        return distributions.masked_logits(logits, obs_agents["action_mask"]), value

    def act(self, key, state, carry, obs, hp):
        k_a, k_p = jax.random.split(key)
        a_logits, a_value = self.agent_logits(state, obs["agents"], hp)
        a_action = distributions.sample(k_a, a_logits)
        p_logits, p_value = self.planner_logits(state, obs["planner"], hp)
        p_mask = self.planner_mask(state, obs["planner"]["action_mask"], hp)
        p_logits = distributions.masked_logits(p_logits, p_mask)
        p_action = distributions.sample(k_p, p_logits)
        weight = self.head_weight(p_action.shape[-1], hp)
        p_action = jnp.where(hp.flat_tax > 0, jnp.broadcast_to(p_action[..., :1], p_action.shape), p_action)
        info = {"agents": {"log_prob": distributions.log_prob(a_logits, a_action), "value": a_value},
                "planner": {"log_prob": (distributions.log_prob(p_logits, p_action) * weight).sum(-1),
                            "value": p_value, "mask": p_mask}}
        return {"agents": a_action, "planner": p_action}, carry, info

    # --- learning -----------------------------------------------------------------------------
    def agent_hp(self, state: TwoLevelState, hp) -> PolicyHP:
        ent = curriculum.planner_entropy(state.iteration, hp.agent_ent_coef, hp.agent_ent_end, 0.0,
                                         hp.agent_ent_anneal)
        return PolicyHP(hp.agent_lr, ent, hp.clip_eps, hp.vf_coef, hp.vf_clip, hp.gamma,
                        hp.gae_lambda, hp.max_grad_norm, hp.num_epochs, hp.num_minibatches,
                        hp.agent_normalize_advantages)

    def planner_hp(self, state: TwoLevelState, hp) -> PolicyHP:
        ent = curriculum.planner_entropy(state.iteration, hp.planner_ent_start, hp.planner_ent_end,
                                         hp.agent_warmup, hp.planner_ent_anneal)
        return PolicyHP(hp.planner_lr, ent, hp.clip_eps, hp.vf_coef, hp.vf_clip, hp.planner_gamma,
                        hp.gae_lambda, hp.max_grad_norm, hp.num_epochs, hp.num_minibatches,
                        hp.planner_normalize_advantages)

    def update(self, key, state, batch, hp):
        agent_net, planner_net = self._nets(state, hp)
        optimizer = ppo.adam_with_clipping(hp.max_grad_norm)
        k_a, k_p = jax.random.split(key)
        n = batch.reward["agents"].shape[-1]
        warm = self.in_warmup(state, hp)

        # agents: shaped reward (labor-cost warm-up), per-agent trajectories
        weight = curriculum.energy_weight(state.positive_steps, hp.energy_warmup_constant)
        reward_a = batch.reward["agents"]
        if "labor_cost" in batch.info:
            reward_a = reward_a + (1.0 - weight) * batch.info["labor_cost"]
        positive = jnp.sum(jnp.mean(reward_a, axis=-1) > 0) / reward_a.shape[0]
        term_a, done_a = broadcast_agents(batch.terminated, n), broadcast_agents(batch.done, n)
        a_apply = lambda p, o: agent_net.apply(p, _inputs(o, state.agent_stats, hp))  # noqa: E731
        agents, a_metrics = update_policy(
            k_a, a_apply, state.agents, optimizer, self.agent_hp(state, hp),
            jax.tree_util.tree_map(per_agent, _strip(batch.obs["agents"])),
            jax.tree_util.tree_map(per_agent, _strip(batch.next_obs["agents"])),
            per_agent(batch.action["agents"]), per_agent(batch.obs["agents"]["action_mask"]),
            per_agent(batch.agent_info["agents"]["log_prob"]), per_agent(batch.agent_info["agents"]["value"]),
            per_agent(reward_a * hp.agent_reward_scale), per_agent(term_a), per_agent(done_a), multi=False)

        # planner (not updated during the warm-up or when it plays a fixed rate)
        p_apply = lambda p, o: planner_net.apply(p, _inputs(o, state.planner_stats, hp))  # noqa: E731
        p_hp = self.planner_hp(state, hp)
        planner, p_metrics = update_policy(
            k_p, p_apply, state.planner, optimizer, p_hp, _strip(batch.obs["planner"]),
            _strip(batch.next_obs["planner"]), batch.action["planner"], batch.agent_info["planner"]["mask"],
            batch.agent_info["planner"]["log_prob"], batch.agent_info["planner"]["value"],
            batch.reward["planner"] * hp.planner_reward_scale, batch.terminated, batch.done, multi=True,
            head_weight=self.head_weight(batch.action["planner"].shape[-1], hp))
        frozen = warm | (hp.fixed_rate_index >= 0) | (not hp.train_planner)
        planner = tree_where(frozen, state.planner, planner)

        episodes = jnp.sum(batch.done) / batch.done.shape[0]
        a_feat, p_feat = batch.obs["agents"]["features"], batch.obs["planner"]["features"]
        new_state = state.replace(
            agent_stats=running_stats.update(state.agent_stats, a_feat),
            planner_stats=running_stats.update(state.planner_stats, p_feat),
            agents=agents, planner=planner, iteration=state.iteration + 1,
            completions=state.completions + jnp.where(warm, 0.0, episodes),
            positive_steps=state.positive_steps + positive)
        limit = curriculum.annealed_tax_limit(state.completions, hp.tax_anneal_warmup, hp.tax_anneal_slope)
        metrics = self.schedule_metrics(state, batch, hp)
        metrics.update({f"agents/{k}": v for k, v in a_metrics.items()})
        metrics.update({f"planner/{k}": v for k, v in p_metrics.items()})
        metrics.update({"planner/ent_coef": p_hp.ent_coef, "planner/frozen": frozen.astype(jnp.float32),
                        "curriculum/tax_limit": jnp.where(hp.anneal_taxes, limit, 1.0),
                        "curriculum/energy_weight": weight})
        return new_state, metrics


    def schedule_metrics(self, state: TwoLevelState, batch, hp) -> dict:
        """The planner's current schedule: per bracket the expected and the modal rate of its
        choice at the batch's first tax-setting observation (env 0)."""
        mask = batch.obs["planner"]["action_mask"][0]                   # [T, B, K]
        t = jnp.argmax(jnp.any(mask[..., 1:], axis=(-2, -1)))
        obs = jax.tree_util.tree_map(lambda x: x[0, t], batch.obs["planner"])
        probs = self.planner_distribution(state, obs, hp)[:, 1:]          # [B, R]
        probs = probs / jnp.maximum(probs.sum(-1, keepdims=True), 1e-12)
        if probs.shape[0] > 1:
            probs = jnp.where(hp.flat_tax > 0, jnp.broadcast_to(probs[:1], probs.shape), probs)
        expected = probs @ state.rate_grid.astype(jnp.float32)
        modal = state.rate_grid[jnp.argmax(probs, -1)]
        out = {}
        for b in range(probs.shape[0]):
            out[f"planner/rate_mean_{b}"] = expected[b]
            out[f"planner/rate_mode_{b}"] = modal[b]
            out[f"planner/rate_mode_prob_{b}"] = jnp.max(probs[b])
        return out


def _strip(obs: dict) -> dict:
    """The network inputs of an observation dict (everything but the action mask)."""
    return {k: v for k, v in obs.items() if k != "action_mask"}


def _inputs(obs: dict, stats: RunningStats, hp) -> dict:
    """Network inputs with the flat features standardised by running statistics (when
    ``hp.normalize_observations``)."""
    out = _strip(obs)
    if hp.normalize_observations:
        out["features"] = running_stats.normalize(stats, out["features"])
    return out


@hparams
class TwoLevelParams(HParams):
    """Hyper-parameters of :class:`TwoLevelPPO` (defaults: Foundation's phase-2 PPO settings where
    they carry over, spec §3.1; curriculum lengths in iterations)."""

    agent_lr: float = 3e-4
    agent_ent_coef: float = 0.025
    agent_ent_end: float = 0.025
    agent_ent_anneal: float = 1.0
    agent_reward_scale: float = 1.0
    planner_lr: float = 1e-4
    planner_ent_start: float = 2.0
    planner_ent_end: float = 0.125
    planner_ent_anneal: float = 1000.0
    planner_reward_scale: float = 1.0
    planner_gamma: float = 0.998
    fixed_rate_index: float = -1.0
    flat_tax: float = 0.0
    agent_warmup: float = 0.0
    tax_anneal_warmup: float = -100.0
    tax_anneal_slope: float = 0.001
    energy_warmup_constant: float = 0.0
    gamma: float = 0.998
    gae_lambda: float = 0.98
    clip_eps: float = 0.3
    vf_coef: float = 0.05
    vf_clip: float = 50.0
    max_grad_norm: float = static(10.0)
    num_epochs: int = static(1)
    num_minibatches: int = static(4)
    agent_hidden: tuple[int, ...] = static((128, 128))
    planner_hidden: tuple[int, ...] = static((128, 128))
    conv_features: tuple[int, ...] = static((16, 32))
    layer_norm: bool = static(True)
    normalize_observations: bool = static(True)
    agent_head: str = static("categorical")
    agent_normalize_advantages: bool = static(True)
    planner_normalize_advantages: bool = static(True)
    warmup_taxes: str = static("random")
    anneal_taxes: bool = static(True)
    train_planner: bool = static(True)
    label: str = static("AI Economist")

    def make_agent(self) -> TwoLevelPPO:
        return TwoLevelPPO()

    def validate(self) -> None:
        for name in ("agent_lr", "planner_lr"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("gamma", "planner_gamma", "gae_lambda"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not self.clip_eps > 0:
            raise ConfigError(f"clip_eps must be > 0, got {self.clip_eps}")
        if self.agent_head not in ("categorical", "ordinal"):
            raise ConfigError(f"agent_head must be 'categorical' or 'ordinal', got {self.agent_head!r}")
        if self.warmup_taxes not in WARMUP_TAXES:
            raise ConfigError(f"warmup_taxes must be one of {list(WARMUP_TAXES)}, got {self.warmup_taxes!r}")
        if self.num_epochs < 1 or self.num_minibatches < 1:
            raise ConfigError("num_epochs and num_minibatches must be >= 1")
        if not self.agent_warmup >= 0 or not self.planner_ent_anneal >= 0:
            raise ConfigError("agent_warmup and planner_ent_anneal must be >= 0 iterations")
