"""Certificate validity (spec ``specs/stepmix.md`` §11 tests 4 and 8): on the good event of the
L1 bonus (``c = 1``), every lower bound the conservative agents rely on lies below the true value.

A harness plays, in each episode, the per-step mixture ``pi(rho)`` with ``rho ~ U[0, 1]`` drawn
afresh (not the agent's chosen ``rho``, which sits at the threshold), so the certificate is tested
over the whole interval; the data therefore grow as in a run of StepMix with random mixing. Each
episode records

- ``CERT(rho)`` and the exact ``V^{pi(rho)}`` (StepMix's certificate, spec §2.2 step 4);
- ``LCB_clip(pi_bar)`` and ``V^{pi_bar}`` (EpsMix's and Switch's Policy-Eva, spec §3);
- ``V*`` and the optimistic value ``V_bar`` of the UCBVI plan (optimism, spec §11 test 8).

Negative control: with ``c = 0`` (no bonus) the "lower bounds" are plug-in estimates and exceed
the true values in many episodes, so the same zero-failure check must fail.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.checks import CheckRow, register
from rlkit.tabular import (add_transitions, deterministic_policy, optimistic_plan, policy_value,
                           zero_counts)
from rlkit.tabular.conservative import mixture_certificate, mixture_policy, policy_lower_value
from rlkit.tabular.datasets import sample_episodes
from theory_checks.stepmix_common import fmt, memo, paper_instances, prefetch_fast

TOL = 1e-9


@functools.partial(jax.jit, static_argnames=("episodes",))
def certificate_trace(key: jax.Array, model, baseline: jax.Array, baseline_value: jax.Array,
                      episodes: int, bonus_scale, delta) -> dict:
    """Per-episode bounds and exact values of the random-``rho`` harness (module docstring)."""
    H, S, A = model.r.shape
    optimal = model.optimal_value()

    def episode(counts, xs):
        k, key = xs
        k_rho, k_play = jax.random.split(key)
        plan = optimistic_plan(counts, model.r, k, delta, bonus_scale, "l1")
        optimistic = deterministic_policy(plan.actions, A)
        rho = jax.random.uniform(k_rho, (), jnp.float64)
        linear_b = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, baseline, model.mu, clip=False)
        cert = mixture_certificate(plan.P_hat, plan.rewards, plan.bonus, optimistic, baseline, rho,
                                   model.mu, baseline_value, linear_b)
        mixed = mixture_policy(optimistic, baseline, rho)
        out = {
            "certificate": cert, "mixture_value": policy_value(model, mixed),
            "optimistic_lower": policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, optimistic,
                                                   model.mu, clip=True),
            "optimistic_value": policy_value(model, optimistic),
            "optimal": optimal, "optimistic_upper": model.mu @ plan.values.V[0],
        }
        data = sample_episodes(k_play, model, mixed, 1)
        counts = add_transitions(counts, data.h, data.s, data.a, data.r, data.s_next)
        return counts, out

    keys = jax.random.split(key, episodes)
    _, out = jax.lax.scan(episode, zero_counts(H, S, A), (jnp.arange(episodes, dtype=jnp.float64), keys))
    return out


@memo
def harness_failures(seeds: int, episodes: int, bonus_scale: float, delta: float = 0.05,
                     S: int = 5, A: int = 5, H: int = 3) -> dict[str, np.ndarray]:
    """Per seed: episodes where a bound fails (``CERT > V``, ``LCB_clip(pi_bar) > V(pi_bar)``,
    ``V(pi_bar) > V*``, ``V* > V_bar``), each with tolerance 1e-9."""
    inst = paper_instances(seeds, "mixed", S, A, H)
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(7), i))(jnp.arange(seeds))
    trace = jax.vmap(certificate_trace, in_axes=(0, 0, 0, 0, None, None, None))(
        keys, inst.params.model, inst.params.baseline, inst.params.baseline_value, episodes,
        jnp.float64(bonus_scale), jnp.float64(delta))
    t = {k: np.asarray(v) for k, v in trace.items()}
    return {
        "certificate": np.sum(t["certificate"] > t["mixture_value"] + TOL, axis=1),
        "optimistic_lower": np.sum(t["optimistic_lower"] > t["optimistic_value"] + TOL, axis=1),
        "optimal": np.sum(t["optimistic_value"] > t["optimal"] + TOL, axis=1),
        "optimism": np.sum(t["optimal"] > t["optimistic_upper"] + TOL, axis=1),
    }


FAST = (3, 1500)     # seeds x episodes of spec test 4


def fast_harness() -> None:
    """The fast-mode harness runs (for :func:`prefetch_fast`)."""
    harness_failures(*FAST, 1.0)
    harness_failures(*FAST, 0.0)


@register("stepmix", "certificate_validity")
def certificate_validity(full: bool) -> list[CheckRow]:
    """CERT(rho) <= V(pi(rho)) and LCB_clip(pi_bar) <= V(pi_bar) in every episode (c = 1)."""
    if not full:
        prefetch_fast()
    seeds, episodes = (10, 3000) if full else FAST
    rows = []
    instance = f"I-A, c=1, {seeds} seeds x {episodes} ep., rho ~ U[0,1]"
    valid = harness_failures(seeds, episodes, 1.0)
    for key, what in (("certificate", "CERT(rho) <= V(pi(rho))"),
                      ("optimistic_lower", "LCB_clip(pi_bar) <= V(pi_bar)")):
        rows.append(CheckRow(what, instance, "0 failures", f"failures per seed {fmt(valid[key])}",
                             bool(np.all(valid[key] == 0))))
    control = harness_failures(seeds, episodes, 0.0)
    rows.append(CheckRow("CERT(rho) <= V(pi(rho))", instance.replace("c=1", "c=0 (no bonus)"),
                         "0 failures", f"failures per seed {fmt(control['certificate'])}",
                         bool(np.all(control["certificate"] == 0)), expect=False))
    # spec test 8 (run-based part): LCB_clip <= V <= V* <= V_bar; on I-B in full mode, on the
    # larger I-A (the runs above) in fast mode
    sanity = harness_failures(seeds, 2000, 1.0, S=3, A=3, H=3) if full else valid
    inst8 = f"I-B, c=1, {seeds} seeds x 2000 ep." if full else instance
    keys = ("optimistic_lower", "optimal", "optimism")
    rows.append(CheckRow("LCB_clip <= V <= V* <= V_bar", inst8, "0 failures",
                         f"failures per seed {fmt(sum(sanity[k] for k in keys))}",
                         bool(all(np.all(sanity[k] == 0) for k in keys))))
    return rows
