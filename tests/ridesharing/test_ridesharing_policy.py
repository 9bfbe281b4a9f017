"""Row-softmax policy, OSPO/GRPO advantages and the PPO-clip loss (spec ospo.md §7.2-§7.5)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.ridesharing.advantages import compute_advantages as _compute_advantages
from agents.ridesharing.scorer import PairScorer, count_parameters
from rlkit import candidates
from rlkit.group_relative import asymmetric_clipped_surrogate, gap_discounted_returns

V, NO, FV, FO = 7, 5, 23, 5     # 23 = 8 vehicle features + 3 seat slots x 5 (capacity 3)
compute_advantages = jax.jit(_compute_advantages, static_argnums=(3, 4, 5))   # few compiles


def numpy_params(net, rng):
    """Random parameters with the network's tree structure (no compiled initialiser needed)."""
    shapes = jax.eval_shape(net.init, jax.random.PRNGKey(0), jnp.zeros((1, FV)), jnp.zeros((1, FO)))
    return jax.tree_util.tree_map(lambda s: (rng.normal(size=s.shape) * 0.3).astype(np.float32), shapes)


@pytest.fixture(scope="module")
def scorer():
    net = PairScorer((128, 128))
    return net, numpy_params(net, np.random.default_rng(5))


def test_paper_network_has_20353_parameters(scorer):
    _, params = scorer
    assert count_parameters(params) == 20_353     # 28 -> 128 -> 128 -> 1


def test_rows_sum_to_one_and_permutation_equivariance(scorer):
    net, params = scorer
    rng = np.random.default_rng(0)
    vehicle = rng.normal(size=(V, FV)).astype(np.float32)
    order = rng.normal(size=(NO, FO)).astype(np.float32)
    mask = np.ones((V, NO), bool)
    mask[:, 3] = False                      # a closed order slot
    mask[2] = False                         # an unavailable vehicle
    policy = jax.jit(lambda v, o, m: (net.apply(params, v, o), candidates.masked_softmax(net.apply(params, v, o), m)))
    logits, probs = policy(vehicle, order, mask)
    probs = np.asarray(probs)
    assert probs.shape == (V, NO)
    rows = probs.sum(1)
    assert np.allclose(rows[mask.any(1)], 1.0, atol=1e-6)
    assert np.all(rows[~mask.any(1)] == 0.0) and np.all(probs[~mask] == 0.0)
    perm = rng.permutation(NO)
    logits_p, probs_p = policy(vehicle, order[perm], mask[:, perm])
    probs_p = np.asarray(probs_p)
    assert np.allclose(np.asarray(logits_p), np.asarray(logits)[:, perm], atol=1e-5)
    assert np.allclose(probs_p, probs[:, perm], atol=1e-6)
    # the split first layer is the dense layer on the concatenation [vehicle, order]
    k = np.concatenate([np.asarray(params["params"]["vehicle_in"]["kernel"]),
                        np.asarray(params["params"]["order_in"]["kernel"])])
    x = np.concatenate([vehicle[1], order[4]])
    h = x @ k + np.asarray(params["params"]["vehicle_in"]["bias"])
    h = np.where(h > 0, h, 0.01 * h)
    h2 = h @ np.asarray(params["params"]["hidden_0"]["kernel"]) + np.asarray(params["params"]["hidden_0"]["bias"])
    h2 = np.where(h2 > 0, h2, 0.01 * h2)
    out = h2 @ np.asarray(params["params"]["out"]["kernel"]) + np.asarray(params["params"]["out"]["bias"])
    assert np.allclose(out[0], np.asarray(logits)[1, 4], atol=1e-4)


def test_masked_kl_and_entropy():
    logits = jnp.asarray([[0.0, 0.0, 0.0], [2.0, -1.0, 0.5]])
    mask = jnp.asarray([[True, True, True], [True, True, False]])
    assert np.allclose(candidates.masked_kl(logits, logits, mask), 0.0, atol=1e-7)
    ent = np.asarray(candidates.masked_entropy(logits, mask))
    assert np.isclose(ent[0], np.log(3.0))
    rng = np.random.default_rng(1)
    for _ in range(20):   # uniform rows have the largest entropy over the same support
        other = jnp.asarray(rng.normal(size=(1, 3)))
        assert float(candidates.masked_entropy(other, mask[:1])[0]) <= np.log(3.0) + 1e-7


def test_ospo_advantage_known_example_and_unit_std():
    r = jnp.zeros((1, 1, 4)).at[0, 0, 1].set(1.0).at[0, 0, 3].set(3.0)
    matched = jnp.zeros((1, 1, 4), bool).at[0, 0, 1].set(True).at[0, 0, 3].set(True)
    done = jnp.zeros((1, 1), bool)
    adv = np.asarray(compute_advantages(r, matched, done, "ospo_one_step", "step", "none", 0.99))
    assert np.allclose(adv[0, 0], [0.0, -1.0, 0.0, 1.0], atol=1e-6)   # paper figure: [1, 3] -> [-1, +1]
    rng = np.random.default_rng(2)
    E, T, N = 3, 6, 9
    r = rng.normal(size=(E, T, N)) * 3 + 1
    matched = rng.random((E, T, N)) < 0.5
    matched[:, :, :2] = True                                         # >= 2 matched per minute
    adv = np.asarray(compute_advantages(jnp.asarray(r), jnp.asarray(matched), jnp.zeros((E, T), bool),
                                        "ospo_one_step", "step", "none", 0.99))
    for e in range(E):
        for t in range(T):
            a = adv[e, t][matched[e, t]]
            assert abs(a.mean()) < 1e-6 and abs(a.std() - 1.0) < 1e-6   # up to the 1e-8 epsilon
    assert np.all(adv[~matched] == 0.0)                               # unmatched: no sample
    shaped = np.asarray(compute_advantages(jnp.asarray(r), jnp.asarray(matched), jnp.zeros((E, T), bool),
                                           "ospo_one_step", "step", "delta_std", 0.99))
    for e in range(E):
        for t in range(T):
            shift = (shaped - adv)[e, t][matched[e, t]]
            assert np.allclose(shift, shift[0], atol=1e-6)             # one scalar per minute
    # the shaping term is -(sigma_t - sigma_{t-1}), sigma_t the fleet std of cumulative rewards
    sig = np.std(np.cumsum(r[0] * matched[0], axis=0), axis=1)
    p = -np.diff(np.concatenate([[0.0], sig]))
    assert np.allclose((shaped - adv)[0, :, 0], p, atol=1e-6)


def test_grpo_reward_to_go_hand_computed():
    """One vehicle matched at minutes 0, 2 and 5 of a 7-minute episode (gamma = 0.9):
    G_5 = r_5, G_2 = r_2 + 0.9^3 G_5, G_0 = r_0 + 0.9^2 G_2."""
    returns = jax.jit(gap_discounted_returns)
    r = jnp.asarray([1.0, 0.0, 2.0, 0.0, 0.0, -1.0, 0.0])[:, None]
    dec = jnp.asarray([1, 0, 1, 0, 0, 1, 0], bool)[:, None]
    g = np.asarray(returns(r, dec, jnp.zeros(7, bool), 0.9))[:, 0]
    g5 = -1.0
    g2 = 2.0 + 0.9 ** 3 * g5
    g0 = 1.0 + 0.9 ** 2 * g2
    assert np.allclose(g, [g0, 0, g2, 0, 0, g5, 0], atol=1e-6)
    # an episode end cuts the recursion: the last transition of an episode has G = r
    done = np.zeros(7, bool)
    done[2] = True
    g = np.asarray(returns(r, dec, done, 0.9))[:, 0]
    assert np.allclose(g[[0, 2, 5]], [1.0 + 0.81 * 2.0, 2.0, -1.0], atol=1e-6)


def test_grpo_code_normalises_the_episode_before_accumulating():
    rng = np.random.default_rng(3)
    E, T, N = 2, 5, 6
    r = rng.normal(size=(E, T, N)) * 2 + 5
    m = rng.random((E, T, N)) < 0.6
    rn = np.zeros_like(r)
    for e in range(E):            # whole-episode normalisation: mean 0, std 1 before accumulation
        x = r[e][m[e]]
        rn[e][m[e]] = (x - x.mean()) / (x.std() + 1e-8)
        assert abs(rn[e][m[e]].mean()) < 1e-9 and abs(rn[e][m[e]].std() - 1) < 1e-6
    r, matched = jnp.asarray(r), jnp.asarray(m)
    adv = np.asarray(compute_advantages(r, matched, jnp.zeros((E, T), bool), "grpo_rtg_code", "episode",
                                        "none", 0.9))
    expect = np.stack([np_returns(rn[e], m[e], np.zeros(T, bool), 0.9) for e in range(E)])
    assert np.allclose(adv, expect, atol=1e-5)
    grouped = np.asarray(compute_advantages(r, matched, jnp.zeros((E, T), bool), "grpo_rtg_group", "step",
                                            "none", 0.9))
    for e in range(E):
        for t in range(T):
            if m[e, t].sum() > 1:
                a = grouped[e, t][m[e, t]]
                assert abs(a.mean()) < 1e-6


def np_returns(r, dec, done, gamma):
    """Per-agent reward-to-go over decision steps (numpy reference), r [T, N]."""
    T, N = r.shape
    out = np.zeros_like(r)
    for i in range(N):
        nxt = None
        for t in reversed(range(T)):
            if done[t]:
                nxt = None
            if dec[t, i]:
                out[t, i] = r[t, i] + (gamma ** (nxt[0] - t) * nxt[1] if nxt else 0.0)
                nxt = (t, out[t, i])
    return out


def _grad(logp, old, adv, low=0.2, high=0.28):
    return jax.grad(lambda x: asymmetric_clipped_surrogate(x, old, adv, low, high)[0].sum())(logp)


def test_ppo_clip_gradients():
    old = jnp.log(jnp.asarray([0.3, 0.5]))
    adv = jnp.asarray([1.5, -2.0])
    # rho = 1: the gradient is the policy gradient -A d log pi
    assert np.allclose(_grad(old, old, adv), -np.asarray(adv))
    # A > 0 and rho > 1.28: no gradient; A < 0 and rho < 0.8: no gradient
    assert np.allclose(_grad(old + jnp.log(1.3), old, jnp.asarray([1.0, 1.0])), 0.0)
    assert np.allclose(_grad(old + jnp.log(0.75), old, jnp.asarray([-1.0, -1.0])), 0.0)
    # inside the range, or on the other side of the clip, the gradient flows
    assert np.all(np.abs(np.asarray(_grad(old + jnp.log(1.25), old, jnp.asarray([1.0, 1.0])))) > 0)
    assert np.all(np.abs(np.asarray(_grad(old + jnp.log(1.5), old, jnp.asarray([-1.0, -1.0])))) > 0)
