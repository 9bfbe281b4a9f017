"""Cascading RL: the oracle and exact planning as checks (spec T1, T2, T3, T5, T10).

- ``bestperm_exact``: BestPerm (Algorithm 1) equals brute force on random instances with ties
  (T1), its list has the structure of Lemma 1 (T2); control: "top-m by attraction" must fail.
- ``optimism``: ``G = max_A f`` is nondecreasing in ``w`` and (when ``J >= 1``) in ``u``; the
  optimistic value with rule (b) of spec §2.5 upper-bounds the true optimum on every confidence
  box (T3); control: without rule (b) (``q_up`` in the ``J = 0`` branch) optimism fails.
- ``planning_consistency``: value iteration with BestPerm = with exhaustive search = standard VI
  on lists as atomic actions; policy evaluation and a Monte-Carlo return agree (T5); control: the
  Monte-Carlo return of a poor policy must not match ``V*``.
- ``reductions``: ``q = 1`` gives a plain MDP with N actions; ``S = H = 1`` with ``r = 1`` picks the
  m most attractive items (T10); controls: ``q = 0.7`` and random ``r`` must fail the same tests.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from envs.cascading import CascadingMDP, cascading_params, random_cascading_model_np
from rlkit.cascading import (atomic_list_tables, best_perm, cascade_value, cascading_value_iteration,
                             evaluate_lists, exhaustive_search)
from rlkit.cascading.reference import brute_force
from rlkit.checks import CheckRow, register
from rlkit.tabular import make_model, value_iteration

N_MAX, M_MAX = 7, 4


# ---------------------------------------------------------------------------------------------
# T1 / T2
# ---------------------------------------------------------------------------------------------
def random_oracle_instances(count: int, seed: int = 0):
    """Spec T1's instances: N in 1..7, m in 1..min(N, 4), u in {0, 1, U(0,1)}, w ~ U(-1, 3),
    half of them rounded to 0.1 (ties). Padded to N = 7 with useless items (u = 1, w = -1e6,
    never in a list) so that one compiled oracle serves every size; ``length`` carries m."""
    rng = np.random.default_rng(seed)
    U = np.ones((count, N_MAX))
    W = np.full((count, N_MAX), -1e6)
    w_bot = np.zeros(count)
    sizes = rng.integers(1, N_MAX + 1, size=count)
    lengths = np.array([rng.integers(1, min(n, M_MAX) + 1) for n in sizes])
    for b, n in enumerate(sizes):
        kind = rng.integers(3)
        u = rng.uniform(size=n)
        if kind == 0:
            u = rng.choice([0.0, 1.0], size=n)
        elif kind == 1:
            u = rng.choice([0.0, 0.5, 1.0, rng.uniform()], size=n)
        w = rng.uniform(-1.0, 3.0, size=n)
        wb = rng.uniform(-1.0, 3.0)
        if rng.random() < 0.5:
            w, wb = np.round(w, 1), np.round(wb, 1)
        U[b, :n], W[b, :n], w_bot[b] = u, w, wb
    return U, W, w_bot, sizes, lengths


@functools.lru_cache(maxsize=4)
def _jitted(name: str):
    fn = {"bestperm": best_perm, "exhaustive": exhaustive_search}[name]
    return jax.jit(lambda u, w, wb, ud, k: fn(u, w, wb, M_MAX, u_degenerate=ud, length=k))


def padded_oracle(name: str, u, w, w_bot, m: int, u_degenerate=None, rows: int = 3000):
    """Run an oracle on up to ``rows`` instances with ``N <= 7`` items and ``m <= 4`` through the
    one compiled function of T1 (instances padded with useless items and rows); returns numpy
    ``(values [B], lists [B, m])``."""
    u, w = np.atleast_2d(np.asarray(u, np.float64)), np.atleast_2d(np.asarray(w, np.float64))
    B, N = w.shape
    ud = u if u_degenerate is None else np.atleast_2d(np.asarray(u_degenerate, np.float64))
    U, UD, W = np.ones((rows, N_MAX)), np.ones((rows, N_MAX)), np.full((rows, N_MAX), -1e6)
    WB = np.zeros(rows)
    U[:B, :N], UD[:B, :N], W[:B, :N], WB[:B] = u, ud, w, np.broadcast_to(w_bot, (B,))
    out = jax.device_get(_jitted(name)(U, W, WB, UD, np.full(rows, m)))
    return out.value[:B], out.lists[:B, :m]


def oracle_mismatches(count: int, seed: int = 0) -> dict[str, int]:
    """Counts of T1/T2 violations over ``count`` random instances (and of the control)."""
    U, W, wb, sizes, lengths = random_oracle_instances(count, seed)
    bp = jax.device_get(_jitted("bestperm")(U, W, wb, U, lengths))
    ex = jax.device_get(_jitted("exhaustive")(U, W, wb, U, lengths))
    f_list = np.asarray(cascade_value(jnp.asarray(bp.lists), jnp.asarray(U), jnp.asarray(W), jnp.asarray(wb)))
    out = {"value": 0, "exhaustive": 0, "list_value": 0, "structure": 0, "same_list": 0, "control": 0}
    for b in range(count):
        n, k = int(sizes[b]), int(lengths[b])
        best, _ = brute_force(U[b, :n], W[b, :n], wb[b], k)
        lst = [int(a) for a in bp.lists[b] if a >= 0]
        out["value"] += abs(float(bp.value[b]) - best) > 1e-9
        out["exhaustive"] += abs(float(ex.value[b]) - best) > 1e-9
        out["list_value"] += abs(float(f_list[b]) - float(bp.value[b])) > 1e-9
        out["same_list"] += not np.array_equal(bp.lists[b], ex.lists[b])
        distinct = len(set(lst)) == len(lst) and 1 <= len(lst) <= k and all(a < n for a in lst)
        w = W[b]
        if np.any(w[:n] > wb[b]):   # T2: sorted by descending w, every item above w_bot
            shape_ok = all(w[a] > wb[b] for a in lst) and all(np.diff([w[a] for a in lst]) <= 0)
        else:
            shape_ok = len(lst) == 1
        out["structure"] += not (distinct and shape_ok)
        top = np.argsort(-U[b, :n], kind="stable")[:k]          # control: top-m by attraction
        top = sorted(top, key=lambda a: -W[b, a])
        control_value = sum(np.prod([1 - U[b, c] for c in top[:i]]) * U[b, a] * W[b, a]
                            for i, a in enumerate(top)) + np.prod([1 - U[b, a] for a in top]) * wb[b]
        out["control"] += abs(control_value - best) > 1e-9
    return out


@register("cascading", "bestperm_exact")
def check_bestperm_exact(full: bool) -> list[CheckRow]:
    """BestPerm equals brute force over all lists, with ties (spec T1, T2)."""
    count = 20000 if full else 3000
    c = oracle_mismatches(count)
    inst = f"{count} random (u, w), N<=7, m<=4, ties"
    return [
        CheckRow("T1 BestPerm value = brute force", inst, "0 mismatches (|diff| < 1e-9)",
                 f"{c['value']} mismatches", c["value"] == 0),
        CheckRow("T1 exhaustive value = brute force", inst, "0 mismatches", f"{c['exhaustive']}",
                 c["exhaustive"] == 0),
        CheckRow("T1 f(returned list) = returned value", inst, "0 mismatches", f"{c['list_value']}",
                 c["list_value"] == 0),
        CheckRow("T2 list: distinct, 1..m, sorted by w, all w > w_bot (J=0: one item)", inst,
                 "0 violations", f"{c['structure']}", c["structure"] == 0),
        CheckRow("T7 tie-breaking: BestPerm list = exhaustive list", inst, "0 differences",
                 f"{c['same_list']}", c["same_list"] == 0),
        CheckRow("control: top-m by attraction = brute force", inst, "0 mismatches",
                 f"{c['control']} mismatches", c["control"] == 0, expect=False),
    ]


# ---------------------------------------------------------------------------------------------
# T3
# ---------------------------------------------------------------------------------------------
def optimism_violations(trials: int, seed: int = 0, N: int = 6, m: int = 3) -> dict[str, int]:
    """Violations of the monotonicity / optimism properties over random perturbations."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(size=(trials, N))
    w = rng.uniform(0.0, 3.0, size=(trials, N))
    wb = rng.uniform(0.0, 3.0, size=trials)
    solve = jax.jit(lambda a, b, c, d: best_perm(a, b, c, m, u_degenerate=d).value)
    G = np.asarray(solve(u, w, wb, u))
    J = np.sum(w > wb[:, None], axis=1)
    # monotone in w and w_bot
    dw = w + rng.uniform(0, 0.5, size=w.shape) * (rng.random(w.shape) < 0.3)
    dwb = wb + rng.uniform(0, 0.5, size=wb.shape)
    G_w = np.asarray(solve(u, dw, wb, u))
    G_wb = np.asarray(solve(u, w, dwb, u))
    # monotone in u when J >= 1
    du = np.minimum(u + rng.uniform(0, 0.5, size=u.shape) * (rng.random(u.shape) < 0.3), 1.0)
    G_u = np.asarray(solve(du, w, wb, du))
    # optimism on a confidence box [q_low, q_up] around the true u, with w <= w_up
    q_low = np.maximum(u - rng.uniform(0, 0.3, size=u.shape), 0.0)
    q_up = np.minimum(u + rng.uniform(0, 0.3, size=u.shape), 1.0)
    w_up = w + rng.uniform(0, 0.3, size=w.shape) * (rng.random(w.shape) < 0.5)
    opt_b = np.asarray(solve(q_up, w_up, wb, q_low))
    opt_plain = np.asarray(solve(q_up, w_up, wb, q_up))
    tol = 1e-12
    return {
        "w": int(np.sum(G_w < G - tol)), "w_bot": int(np.sum(G_wb < G - tol)),
        "u_J>=1": int(np.sum((G_u < G - tol) & (J >= 1))),
        "u_J=0": int(np.sum((G_u < G - tol) & (J == 0))),
        "optimism_b": int(np.sum(opt_b < G - tol)), "optimism_plain": int(np.sum(opt_plain < G - tol)),
        "J0": int(np.sum(J == 0)),
    }


@register("cascading", "optimism")
def check_optimism(full: bool) -> list[CheckRow]:
    """Monotonicity of max_A f in (u, w) and optimism with the J = 0 rule (b) (spec T3, §2.5)."""
    trials = 100000 if full else 20000
    v = optimism_violations(trials)
    inst = f"{trials} random perturbations, N=6, m=3 ({v['J0']} with J=0)"
    return [
        CheckRow("T3 G nondecreasing in w(a)", inst, "0 violations", f"{v['w']}", v["w"] == 0),
        CheckRow("T3 G nondecreasing in w(a_bot)", inst, "0 violations", f"{v['w_bot']}", v["w_bot"] == 0),
        CheckRow("T3 G nondecreasing in u when J>=1", inst, "0 violations", f"{v['u_J>=1']}",
                 v["u_J>=1"] == 0),
        CheckRow("T3 G(q_up, w_up; J=0 uses q_low) >= G(q, w) on every box", inst, "0 violations",
                 f"{v['optimism_b']}", v["optimism_b"] == 0),
        CheckRow("control: J=0 branch with q_up (no rule b) is optimistic", inst, "0 violations",
                 f"{v['optimism_plain']}", v["optimism_plain"] == 0, expect=False),
    ]


# ---------------------------------------------------------------------------------------------
# T5
# ---------------------------------------------------------------------------------------------
def _mc_returns(model, lists, keys):
    env = CascadingMDP()
    params = cascading_params(model)

    def episode(key):
        k_reset, k_steps = jax.random.split(key)
        obs, state = env.reset(k_reset, params)

        def step(carry, k):
            obs, state, total = carry
            obs2, state2, reward, _, _, _ = env.step(k, state, lists[obs[0], obs[1]], params)
            return (obs2, state2, total + reward), None

        (_, _, total), _ = jax.lax.scan(step, (obs, state, 0.0), jax.random.split(k_steps, model.H))
        return total

    return jax.vmap(episode)(keys)


_mc_returns_jit = jax.jit(_mc_returns)


def monte_carlo_return(model, lists, episodes: int, seed: int = 0) -> tuple[float, float]:
    """Mean and standard error of the realised return of a list policy over simulated episodes."""
    keys = jax.random.split(jax.random.PRNGKey(seed), episodes)
    returns = np.asarray(_mc_returns_jit(model, jnp.asarray(lists, jnp.int32), keys))
    return float(returns.mean()), float(returns.std(ddof=1) / np.sqrt(episodes))


@jax.jit
def _exact_planners(model):
    fast = cascading_value_iteration(model, "bestperm")
    slow = cascading_value_iteration(model, "exhaustive")
    R, P = atomic_list_tables(model)
    atomic = value_iteration(make_model(P[None], jnp.broadcast_to(R, (model.H,) + R.shape), mu=model.mu))
    return fast, slow.V, atomic.V, evaluate_lists(model, fast.lists)


@register("cascading", "planning_consistency")
def check_planning_consistency(full: bool) -> list[CheckRow]:
    """Cascading VI: BestPerm = exhaustive = atomic-list VI = policy evaluation = Monte Carlo (T5)."""
    model = random_cascading_model_np(5, S=3, N=5, m=3, H=4)
    fast, slow_V, atomic_V, V_pi = _exact_planners(model)
    episodes = 100000 if full else 20000
    mc_mean, mc_se = monte_carlo_return(model, fast.lists, episodes)
    v_star = float(model.mu @ fast.V[0])
    worst = jnp.argmin(model.q * model.r, axis=1).astype(jnp.int32)      # a poor policy: worst item
    poor = jnp.full((model.H, model.S, model.m), -1, jnp.int32).at[..., 0].set(worst[None, :])
    poor_mean, poor_se = monte_carlo_return(model, poor, episodes, seed=1)
    inst = "S=3, N=5, m=3, H=4, all (h, s)"
    err = lambda a, b: float(jnp.max(jnp.abs(a - b)))  # noqa: E731
    z = abs(mc_mean - v_star) / mc_se
    z_poor = abs(poor_mean - v_star) / poor_se
    return [
        CheckRow("T5 VI(BestPerm) = VI(exhaustive)", inst, "max |diff| < 1e-9",
                 f"{err(fast.V, slow_V):.1e}", err(fast.V, slow_V) < 1e-9),
        CheckRow("T5 VI(BestPerm) = VI(lists as atomic actions)", inst, "max |diff| < 1e-9",
                 f"{err(fast.V, atomic_V):.1e}", err(fast.V, atomic_V) < 1e-9),
        CheckRow("T5 policy evaluation of the returned lists = V*", inst, "max |diff| < 1e-9",
                 f"{err(fast.V, V_pi):.1e}", err(fast.V, V_pi) < 1e-9),
        CheckRow("T5 Monte-Carlo return = V*(s1)", f"{episodes} episodes", "within 4 s.e.",
                 f"{mc_mean:.4f} vs {v_star:.4f} ({z:.1f} s.e.)", z < 4.0),
        CheckRow("control: Monte-Carlo return of a poor policy = V*(s1)", f"{episodes} episodes",
                 "within 4 s.e.", f"{poor_mean:.4f} vs {v_star:.4f} ({z_poor:.0f} s.e.)", z_poor < 4.0,
                 expect=False),
    ]


# ---------------------------------------------------------------------------------------------
# T10 (exact part)
# ---------------------------------------------------------------------------------------------
@jax.jit
def _first_item_values(model):
    cascading = cascading_value_iteration(model).V
    mdp = value_iteration(make_model(model.P[None, :, :model.N, :],
                                     jnp.broadcast_to(model.r, (model.H,) + model.r.shape), mu=model.mu))
    return cascading, mdp.V


def first_item_gap(q_value: float, seed: int = 3) -> float:
    """``max |V*_cascading - V*_MDP|`` where the MDP has the N items as actions (the ``q = 1``
    reduction of spec §3.3); zero when ``q = 1``."""
    model = random_cascading_model_np(seed, S=4, N=5, m=3, H=4)
    cascading, mdp = _first_item_values(model.replace(q=jnp.full_like(model.q, q_value)))
    return float(jnp.max(jnp.abs(cascading - mdp)))


@functools.partial(jax.jit, static_argnums=2)
def _top_m_oracle(q, r, m):
    return best_perm(q, r, jnp.zeros(q.shape[0]), m)


def top_m_mismatches(instances: int, unit_reward: bool, seed: int = 0, N: int = 6, m: int = 3) -> int:
    """``S = H = 1`` with ``w_bot = 0``: instances where the optimal list is not the m items with the
    largest q (as a set). With ``r = 1`` the optimum is ``1 - prod(1 - q)``, maximised by them."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(0.05, 0.95, size=(instances, N))
    r = np.ones((instances, N)) if unit_reward else rng.uniform(0, 1, size=(instances, N))
    out = jax.device_get(_top_m_oracle(q, r, m))
    top = np.sort(np.argsort(-q, axis=1)[:, :m], axis=1)
    return int(np.sum(np.any(np.sort(out.lists, axis=1) != top, axis=1)))


@register("cascading", "reductions")
def check_reductions(full: bool) -> list[CheckRow]:
    """q = 1 gives a plain MDP; S = H = 1 gives a cascading bandit (spec T10, exact part)."""
    n = 5000 if full else 500
    gap1, gap07 = first_item_gap(1.0), first_item_gap(0.7)
    bad1, bad_r = top_m_mismatches(n, True), top_m_mismatches(n, False)
    return [
        CheckRow("T10 q=1: V*(cascading) = V*(MDP with N item actions)", "S=4, N=5, m=3, H=4",
                 "max |diff| < 1e-9", f"{gap1:.1e}", gap1 < 1e-9),
        CheckRow("control: the same at q=0.7", "S=4, N=5, m=3, H=4", "max |diff| < 1e-9",
                 f"{gap07:.3f}", gap07 < 1e-9, expect=False),
        CheckRow("T10 S=H=1, r=1, w_bot=0: optimal list = top-m by q", f"{n} bandits, N=6, m=3",
                 "0 mismatches", f"{bad1}", bad1 == 0),
        CheckRow("control: the same with random r", f"{n} bandits, N=6, m=3", "0 mismatches",
                 f"{bad_r}", bad_r == 0, expect=False),
    ]
