"""The exact effective-horizon analysis of tabular MDPs (Laidlaw et al. NeurIPS 2023 and ICLR 2024).

Jitted functions of a :class:`rlkit.sparse_mdp.SparseMDP` (deterministic BRIDGE MDPs and their
sticky-action versions), following the definitions of sqirl spec §2-§3 as implemented in the
upstream ``EffectiveHorizon.jl`` (``value_iteration.jl``, ``gorp_bounds.jl``,
``occupancy_measures.jl``):

- :func:`base_values`: ``Q^rand`` (uniform policy), ``Q*`` and ``Q^worst`` by backward induction;
  ``V^rand`` is clipped into ``[V^worst, V*]`` (spec §3.2).
- :func:`qvi`: the QVI operator ``(QVI Q)_t(s,a) = R + E[max_a' Q_{t+1}(s', a')]`` for ``t < T``,
  last step unchanged; ``Q^1 = Q^rand``, ``Q^{k+1} = QVI(Q^k)`` (spec §2).
- :func:`greedy_is_optimal`: every policy greedy on ``Q^k`` (all tied argmax actions, ``>= max``)
  is optimal on the reachable states (tolerance ``1e-4``): k-QVI-solvability; ``min_k`` is the
  smallest such k, ``epw`` (effective planning window) the same starting from ``Q^1 = R``.
- :func:`simple_bound_terms`: the "simple" bound on ``H_k`` of P1 Theorem 5.4 in its implemented
  form: gaps ``Delta``, variance proxies ``sigma^2`` (``VB^k``), ``m_{t,s} = max(1, ceil(16
  sigma^2 / Delta^2 ln(2 T A^k)))`` over states reachable through actions that beat every
  suboptimal one; ``H_k <= k + log_A max m`` (spec §2).
- :func:`worst_greedy_return`: ``J_k``, the return of the worst policy greedy on ``Q^k``.
- :func:`occupancy_minima`: minima of the random policy's occupancy measures (spec §3.3).

:func:`analyze` runs everything and returns a dict with the upstream JSON keys
(``analyzed.json`` for deterministic MDPs, ``analyzed_sticky_<p>.json`` for sticky ones).
:func:`gorp_sample_complexity` is GORP's ``T^2 A^k m``; the App. C LP bounds are not
reimplemented (spec §3.4 [design]). The experimental stochastic effective horizon ``H-bar_k``
(P2; exact form [unconfirmed], spec §2) is reported under ``experimental`` and tested by nothing.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.sparse_mdp import SparseMDP

REWARD_PRECISION = 1e-4   # "is this action optimal" tolerance (upstream REWARD_PRECISION)
GREEDY_RETURN_KS = 5      # the sticky analysis reports J_k for k = 1..5


class BaseValues(NamedTuple):
    Q_rand: jax.Array   # [T, S, A]
    Q_star: jax.Array
    Q_worst: jax.Array
    V_rand: jax.Array   # [T + 1, S]
    V_star: jax.Array
    V_worst: jax.Array


def base_values(mdp: SparseMDP, explore: jax.Array | None = None) -> BaseValues:
    """Random-policy, optimal and worst values by one backward pass (spec §3.2).

    ``explore[T, S, A]`` replaces the uniform policy (an exploration policy); ``V^rand`` is
    clipped into ``[V^worst, V*]`` as upstream (a floating-point guard).
    """
    S = mdp.S
    zero = jnp.zeros((S,), jnp.float64)

    def body(carry, t):
        v_rand, v_star, v_worst = carry
        q_rand, q_star, q_worst = mdp.backup(t, v_rand), mdp.backup(t, v_star), mdp.backup(t, v_worst)
        v_star_t, v_worst_t = q_star.max(-1), q_worst.min(-1)
        mean = q_rand.sum(-1) / mdp.A if explore is None else jnp.sum(explore[t] * q_rand, -1)
        v_rand_t = jnp.clip(mean, v_worst_t, v_star_t)
        return (v_rand_t, v_star_t, v_worst_t), (q_rand, q_star, q_worst, v_rand_t, v_star_t, v_worst_t)

    _, (qr, qs, qw, vr, vs, vw) = jax.lax.scan(body, (zero, zero, zero), jnp.arange(mdp.H), reverse=True)
    last = zero[None]
    return BaseValues(qr, qs, qw, jnp.concatenate([vr, last]), jnp.concatenate([vs, last]),
                      jnp.concatenate([vw, last]))


def qvi(mdp: SparseMDP, Q: jax.Array) -> jax.Array:
    """One synchronous QVI backup of ``Q[T, S, A]``; the last step is left unchanged (spec §2)."""
    V = Q.max(-1)
    t = jnp.arange(mdp.H - 1)
    backed = jax.vmap(mdp.backup)(t, V[1:])
    return jnp.concatenate([backed, Q[-1:]], axis=0)


def immediate_rewards(mdp: SparseMDP) -> jax.Array:
    """``R_t(s, a)`` for every step ``[T, S, A]`` (the EPW's ``Q^1``)."""
    return jax.vmap(mdp.expected_reward)(jnp.arange(mdp.H))


def greedy_sets(Q_t: jax.Array) -> jax.Array:
    """All tied argmax actions: ``Q_t(s, a) >= max_a' Q_t(s, a')`` (bool ``[S, A]``)."""
    return Q_t >= Q_t.max(-1, keepdims=True)


def optimal_actions(base: BaseValues) -> jax.Array:
    """``Q*_t(s, a) >= V*_t(s) - 1e-4`` (bool ``[T, S, A]``)."""
    return base.Q_star >= base.V_star[:-1, :, None] - REWARD_PRECISION


def greedy_is_optimal(mdp: SparseMDP, Q: jax.Array, optimal: jax.Array) -> jax.Array:
    """k-QVI-solvability test (spec §2): from ``(0, start)``, every action in the greedy set of
    ``Q`` at every reachable state is optimal; reachability follows all greedy actions and all
    successors with positive probability."""
    return forward_pass(mdp, Q, Q, optimal, None)["solvable"]


def worst_greedy_return(mdp: SparseMDP, Q: jax.Array) -> jax.Array:
    """``J_k``: return of the worst policy among those greedy on ``Q`` (adversarial ties)."""
    def combine(t, Q_t):
        return jnp.where(greedy_sets(Q[t]), Q_t, jnp.inf).min(-1)

    return mdp.backward(combine).V[0, mdp.start]


def reachable_states(mdp: SparseMDP) -> jax.Array:
    """States reachable at each decision step ``t = 0..T-1`` under any actions (bool ``[T, S]``)."""
    reach0 = jax.nn.one_hot(mdp.start, mdp.S, dtype=bool)
    every = jnp.ones((mdp.S, mdp.A), bool)

    def body(reach, t):
        return mdp.successor_mask(t, every & reach[:, None]), reach

    _, reach = jax.lax.scan(body, reach0, jnp.arange(mdp.H))
    return reach


def non_argmax_gap(Q_t: jax.Array) -> jax.Array:
    """``max_a Q - max_{a not in argmax} Q`` per state (``inf`` where all actions tie)."""
    rest = jnp.where(greedy_sets(Q_t), -jnp.inf, Q_t).max(-1)
    return jnp.where(jnp.isfinite(rest), Q_t.max(-1) - rest, jnp.inf)


def forward_pass(mdp: SparseMDP, Q: jax.Array, R: jax.Array, optimal: jax.Array,
                 max_sub: jax.Array | None) -> dict:
    """One forward sweep over ``t`` with three reachability masks from ``(0, start)``:

    - greedy on ``Q`` (= ``Q^k``): ``solvable`` (every greedy action optimal, spec §2) and the
      experimental ``stochastic_gap`` (smallest non-argmax gap on those states);
    - greedy on ``R`` (the EPW's sequence): ``window_ok``;
    - when ``max_sub`` is given (deterministic simple bound): states reached through actions
      beating every suboptimal action, ``bound_reach[T, S]``.
    """
    S = mdp.S
    reach0 = jax.nn.one_hot(mdp.start, S, dtype=bool)
    n = 3 if max_sub is not None else 2

    def body(reach, t):
        greedy_q = greedy_sets(Q[t]) & reach[0][:, None]
        greedy_r = greedy_sets(R[t]) & reach[1][:, None]
        out = {"bad_q": jnp.any(greedy_q & ~optimal[t]), "bad_r": jnp.any(greedy_r & ~optimal[t]),
               "gap": jnp.where(reach[0], non_argmax_gap(Q[t]), jnp.inf).min()}
        weights = [greedy_q, greedy_r]
        if max_sub is not None:
            weights.append((Q[t] > max_sub[t][:, None]) & reach[2][:, None])
            out["bound_reach"] = reach[2]
        nxt = jax.vmap(mdp.successor_mask, in_axes=(None, 0))(t, jnp.stack(weights))
        return nxt, out

    _, out = jax.lax.scan(body, jnp.broadcast_to(reach0, (n, S)), jnp.arange(mdp.H))
    result = {"solvable": ~jnp.any(out["bad_q"]), "window_ok": ~jnp.any(out["bad_r"]),
              "stochastic_gap": out["gap"].min()}
    if max_sub is not None:
        result["bound_reach"] = out["bound_reach"]
    return result


class BoundTerms(NamedTuple):
    """The simple bound at one k: success, max m and the (t, s) reported for it."""

    ok: jax.Array
    m: jax.Array       # float64 (exact integers up to 2^53)
    t: jax.Array
    s: jax.Array
    gap: jax.Array     # inf when no suboptimal action
    var: jax.Array


def bound_pieces(Q: jax.Array, suboptimal: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``max_a Q``, the best suboptimal ``Q`` (``-inf`` if none) and whether one exists."""
    return Q.max(-1), jnp.where(suboptimal, Q, -jnp.inf).max(-1), jnp.any(suboptimal, -1)


def simple_bound_terms(Q: jax.Array, VB: jax.Array, suboptimal: jax.Array, reach: jax.Array,
                       k: jax.Array) -> BoundTerms:
    """Terms of the simple effective-horizon bound at ``k`` (deterministic MDPs; spec §2) on the
    states ``reach[T, S]`` reached through actions beating every suboptimal one.

    Fails (``ok = False``) when a reachable state has a suboptimal action tied with the maximum
    (exact equality). Reported ``(t, s)``: max ``m``, then the smallest ``s``, then ``t``
    (Julia's column-major order over ``[t, s]``).
    """
    T, S, A = Q.shape
    max_q, max_sub, has_sub = bound_pieces(Q, suboptimal)
    gap = jnp.where(has_sub, max_q - max_sub, jnp.inf)
    var = VB.max(-1)
    log_term = jnp.log(2.0 * T * jnp.asarray(A, jnp.float64) ** k)
    m = jnp.where(has_sub, jnp.maximum(1.0, jnp.ceil(16.0 * var / gap ** 2 * log_term)), 1.0)
    tie = has_sub & (max_q == max_sub)
    ok = ~jnp.any(reach & tie)
    m_reach = jnp.where(reach, m, -jnp.inf)
    flat = jnp.argmax(m_reach.T.reshape(-1))            # s-major, t-minor: smallest s, then t
    s_star, t_star = (flat // T).astype(jnp.int32), (flat % T).astype(jnp.int32)
    return BoundTerms(ok, m_reach[t_star, s_star], t_star, s_star, gap[t_star, s_star],
                      var[t_star, s_star])


def next_max(mdp: SparseMDP, W: jax.Array) -> jax.Array:
    """``W'_t(s, a) = E[max_a' W_{t+1}(s', a')]`` for ``t < T``, last step unchanged (the
    ``VB^{j+1}`` recursion of spec §2)."""
    t = jnp.arange(mdp.H - 1)
    backed = jax.vmap(mdp.expected_next)(t, W.max(-1)[1:])
    return jnp.concatenate([backed, W[-1:]], axis=0)


def occupancy_minima(mdp: SparseMDP) -> dict[str, jax.Array]:
    """Minima of the uniform policy's occupancies over non-terminal states with positive
    occupancy (spec §3.3): ``min_(s,a) max_t d_t(s,a)``, ``min_(s,a) sum_t d_t(s,a)``,
    ``min_s max_t d_t(s)``, ``min_s sum_t d_t(s)``."""
    d_s = mdp.state_distributions(mdp.uniform_policy())       # [T, S]
    d_sa = d_s / mdp.A                                         # uniform policy: d_t(s) / A

    def minimum(x):
        keep = (~mdp.terminal) & (x > 0)
        return jnp.where(keep, x, jnp.inf).min()

    return {
        "min_state_action_occupancy": minimum(d_sa.max(0)),
        "min_sum_state_action_occupancy": minimum(d_sa.sum(0)),
        "min_state_occupancy": minimum(d_s.max(0)),
        "min_sum_state_occupancy": minimum(d_s.sum(0)),
    }


def is_deterministic(mdp: SparseMDP) -> bool:
    """Static: one successor per (s, a) and a stationary kernel (the simple bound applies)."""
    return mdp.K == 1 and mdp.next_state.shape[0] == 1


def _analysis_arrays(mdp: SparseMDP) -> dict:
    """All per-k quantities in one jitted ``while_loop`` over ``k = 1, 2, ...`` that stops once
    ``min_k`` and ``epw`` are found, ``k > 5`` (greedy returns) and, for deterministic MDPs,
    ``k >=`` the best simple bound so far (the upstream iteration rule); entries of ``k`` not
    reached are left at their fill values. See :func:`analyze` for the output."""
    T, A = mdp.H, mdp.A
    deterministic = is_deterministic(mdp)
    base = base_values(mdp)
    optimal = optimal_actions(base)
    suboptimal = base.Q_star < base.V_star[:-1, :, None] - REWARD_PRECISION
    log_A = jnp.log(jnp.asarray(A, jnp.float64))
    fill = {
        "solvable": jnp.zeros(T, bool), "window_ok": jnp.zeros(T, bool),
        "greedy_return": jnp.full(T, jnp.nan), "stochastic_gap": jnp.full(T, jnp.nan),
        "bound": BoundTerms(jnp.zeros(T, bool), jnp.ones(T), jnp.zeros(T, jnp.int32),
                            jnp.zeros(T, jnp.int32), jnp.full(T, jnp.inf), jnp.zeros(T)),
    }

    def cond(carry):
        k, _, _, _, out, best = carry
        done_min_k = jnp.any(out["solvable"])
        done_epw = jnp.any(out["window_ok"])
        need = ~done_min_k | ~done_epw | (k <= GREEDY_RETURN_KS)
        if deterministic:
            need = need | (k < best)
        return (k <= T) & need

    def body(carry):
        k, Qk, Rk, VB, out, best = carry
        i = k - 1
        max_sub = bound_pieces(Qk, suboptimal)[1] if deterministic else None
        fwd = forward_pass(mdp, Qk, Rk, optimal, max_sub)
        out = dict(out)
        out["solvable"] = out["solvable"].at[i].set(fwd["solvable"])
        out["window_ok"] = out["window_ok"].at[i].set(fwd["window_ok"])
        out["stochastic_gap"] = out["stochastic_gap"].at[i].set(fwd["stochastic_gap"])
        out["greedy_return"] = out["greedy_return"].at[i].set(
            jax.lax.cond(k <= GREEDY_RETURN_KS, lambda: worst_greedy_return(mdp, Qk), lambda: jnp.nan))
        if deterministic:
            terms = simple_bound_terms(Qk, VB, suboptimal, fwd["bound_reach"], k)
            out["bound"] = jax.tree_util.tree_map(lambda a, v: a.at[i].set(v), out["bound"], terms)
            best = jnp.where(terms.ok, jnp.minimum(best, k + jnp.log(terms.m) / log_A), best)
            VB = next_max(mdp, VB)
        return k + 1, qvi(mdp, Qk), qvi(mdp, Rk), VB, out, best

    VB1 = (base.Q_rand - base.Q_worst) * (base.Q_star - base.Q_worst) if deterministic else jnp.zeros(())
    init = (jnp.asarray(1), base.Q_rand, immediate_rewards(mdp), VB1, fill, jnp.asarray(float(T)))
    _, _, _, _, per, _ = jax.lax.while_loop(cond, body, init)
    reach = reachable_states(mdp)
    return {
        "optimal_return": base.V_star[0, mdp.start],
        "random_return": base.V_rand[0, mdp.start],
        "worst_return": base.V_worst[0, mdp.start],
        "num_states": jnp.sum(jnp.any(reach, 0)),
        "occupancy": occupancy_minima(mdp),
        **per,
    }


#: XLA's cheap compile settings (about half the compile time, 2-3x slower execution): the better
#: trade for the one-shot analysis of small MDPs.
FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}
FAST_COMPILE_MAX_SIZE = 2_000_000    # S * A * K * H below which the analysis compiles cheaply
_optimized = jax.jit(_analysis_arrays)
_fast = jax.jit(_analysis_arrays, compiler_options=FAST_COMPILE)


def analysis_arrays(mdp: SparseMDP, optimize: bool | None = None) -> dict:
    """Jitted :func:`_analysis_arrays`; ``optimize=None`` picks XLA's cheap compile settings for
    small MDPs (compile time dominates there) and the optimised build for large ones."""
    if optimize is None:
        optimize = mdp.S * mdp.A * mdp.K * mdp.H > FAST_COMPILE_MAX_SIZE
    return (_optimized if optimize else _fast)(mdp)


def _first_true(flags: np.ndarray) -> int | None:
    hits = np.flatnonzero(flags)
    return int(hits[0]) + 1 if hits.size else None


def simple_bound(arrays: dict, horizon: int, num_actions: int) -> dict:
    """``effective_horizon_results`` (upstream keys): iterate ``k`` while ``k <`` the best bound
    so far (initially ``T``); each successful ``k`` adds its ``m`` and the gap and variance at
    the reported state; ``effective_horizon = min(T, min_k (k + log_A m_k))``."""
    b = arrays["bound"]
    ks, ms, gaps, variances = [], [], [], []
    best = float(horizon)
    k = 1
    while k < best and k <= horizon:
        i = k - 1
        if bool(b.ok[i]):
            m = int(b.m[i])
            ks.append(k)
            ms.append(m)
            gap = float(b.gap[i])
            gaps.append(gap if math.isfinite(gap) else None)
            variances.append(float(b.var[i]))
            best = min(best, k + math.log(m) / math.log(num_actions))
        k += 1
    return {"ks": ks, "ms": ms, "gaps": gaps, "vars": variances, "effective_horizon": best}


def gorp_sample_complexity(horizon: int, num_actions: int, k: int, m: int) -> int:
    """GORP(k, m)'s sample complexity ``A^k m T^2`` env steps (P1; ``compute_gorp_bounds.jl``)."""
    return int(num_actions) ** int(k) * int(m) * int(horizon) ** 2


def analyze(mdp: SparseMDP, sticky: bool | None = None, optimize: bool | None = None) -> dict:
    """The analysis of ``mdp`` as a dict with the upstream JSON keys.

    Deterministic (``analyzed.json``): ``min_k``, ``epw``, ``effective_horizon``,
    ``effective_horizon_results`` {ks, ms, gaps, vars, effective_horizon},
    ``min_occupancy_results``. Sticky (``analyzed_sticky_<p>.json``): ``num_states``, ``min_k``,
    ``epw``, ``greedy_returns`` (k = 1..5), ``optimal_return``, ``random_return``,
    ``worst_return``. Both also carry rlkit's extras under ``extra`` (returns of the
    deterministic MDP, GORP sample complexities of the simple bound, experimental ``H-bar_k``).
    """
    if sticky is None:
        sticky = not is_deterministic(mdp)
    arrays = jax.tree_util.tree_map(np.asarray, analysis_arrays(mdp, optimize))
    T, A = mdp.H, mdp.A
    min_k = _first_true(arrays["solvable"])
    epw = _first_true(arrays["window_ok"])
    returns = {key: float(arrays[key]) for key in ("optimal_return", "random_return", "worst_return")}
    hbar = [float(k + math.log(1.0 / g ** 2) / math.log(A)) if ok and 0 < g < math.inf else None
            for k, (ok, g) in enumerate(zip(arrays["solvable"], arrays["stochastic_gap"]), 1)
            if not math.isnan(g)]
    extra = {"horizon": T, "num_actions": A, **returns,
             "experimental": {"stochastic_effective_horizon_by_k": hbar}}
    if sticky:
        greedy = [float(x) for x in arrays["greedy_return"][:min(T, GREEDY_RETURN_KS)]]
        greedy += greedy[-1:] * (GREEDY_RETURN_KS - len(greedy))   # Q^k = Q* for k >= T
        return {"num_states": int(arrays["num_states"]), "min_k": min_k, "epw": epw,
                "greedy_returns": greedy, **returns, "extra": extra}
    results = simple_bound(arrays, T, A)
    extra["gorp_simple_bounds"] = {
        str(k): {"sample_complexity": gorp_sample_complexity(T, A, k, m),
                 "effective_horizon": k + math.log(m) / math.log(A)}
        for k, m in zip(results["ks"], results["ms"])}
    occupancy = {key: float(v) for key, v in arrays["occupancy"].items()}
    return {"min_k": min_k, "epw": epw, "effective_horizon": results["effective_horizon"],
            "effective_horizon_results": results, "min_occupancy_results": occupancy, "extra": extra}
