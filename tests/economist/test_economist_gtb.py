"""Gather-Trade-Build invariants (spec §6 G1-G4; issue 9): conservation of coin and resources,
non-negative inventories, market clearing, episode and tax-period timing, reproducibility, bad input."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.economy.gtb import GTBConfig
from envs.economy.gtb import market
from envs.economy.gtb.market import OrderBook
from envs.economy.gtb.state import COIN, STONE, WOOD
from rlkit.config import ConfigError

SMALL = GTBConfig(height=9, width=9, n_wood=8, n_stone=8, episode_length=60, period=20,
                  order_duration=5, resource_regen_prob=0.1)
STEPS = 130   # two episodes and a bit: crosses an auto-reset


def _random_policy(key, obs):
    """Uniform over allowed actions, biased towards building and trading so every rule fires."""
    k1, k2 = jax.random.split(key)
    mask = obs["agents"]["action_mask"]
    bias = jnp.zeros(mask.shape[-1]).at[1].set(4.0).at[2:46].set(0.5)
    agents = jax.random.categorical(k1, jnp.where(mask, bias, -1e9))
    planner = jax.random.categorical(k2, jnp.where(obs["planner"]["action_mask"], 0.0, -1e9))
    return {"agents": agents, "planner": planner}


POLICIES = ("free-market", "us-federal", "saez", "planner")


@pytest.fixture(scope="module")
def episode():
    """130 steps under each tax model, the four economies vmapped through one jitted program (the
    params batched: the tax model is a traced leaf); run twice with the same key. Records are
    flattened to ``[policy * step]`` so every invariant is checked under every tax model."""
    import chex
    configs = [GTBConfig(**{**SMALL.__dict__, "tax_model": m}) for m in POLICIES]
    env = SMALL.make_env()
    params = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[c.make_params() for c in configs])

    def body(p, carry, key):
        state, obs = carry
        k_a, k_s = jax.random.split(key)
        action = _random_policy(k_a, obs)
        obs2, state2, reward, term, trunc, info = env.step(k_s, state, action, p)
        info.pop("final_observation")
        record = {"before": state, "after": state2, "action": action, "reward": reward, "term": term,
                  "info": info, "mask": obs["agents"]["action_mask"], "pmask": obs["planner"]["action_mask"]}
        return (state2, obs2), record

    @jax.jit
    @chex.assert_max_traces(n=1)
    def run(key, p):
        k0, k1 = jax.random.split(key)
        obs, state = env.reset(k0, p)
        return jax.lax.scan(lambda c, k: body(p, c, k), (state, obs), jax.random.split(k1, STEPS))[1]

    batched = jax.vmap(run, in_axes=(None, 0))
    out = jax.tree_util.tree_map(np.asarray, batched(jax.random.PRNGKey(3), params))
    again = jax.tree_util.tree_map(np.asarray, batched(jax.random.PRNGKey(3), params))   # no retrace
    one = jax.tree_util.tree_map(lambda x: x[0], params)
    return one, out, again


def _slot(rec, policy: str):
    return jax.tree_util.tree_map(lambda x: x[POLICIES.index(policy)], rec)


def _flat(rec):
    """``[P, T, ...] -> [P * T, ...]``."""
    return jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), rec)


def _not_reset(rec):
    """Steps that did not end an episode (the post-step state is not a fresh reset)."""
    return ~rec["term"]


def test_episode_length_and_tax_periods(episode):
    params, rec_all, _ = episode
    for policy in POLICIES:
        rec = _slot(rec_all, policy)
        ends = np.nonzero(rec["term"])[0]
        np.testing.assert_array_equal(ends, [59, 119])
        enacted = np.nonzero(rec["info"]["tax_enacted"])[0]
        np.testing.assert_array_equal(enacted[:6], [19, 39, 59, 79, 99, 119])
        assert int(rec["info"]["tax_enacted"][:60].sum()) == 60 // 20
    # the planner may set taxes only on the first step of each period, and only the planner
    rec = _slot(rec_all, "planner")
    can_set = rec["pmask"][:, 0, 1:].any(-1)
    np.testing.assert_array_equal(np.nonzero(can_set)[0][:6], [0, 20, 40, 60, 80, 100])
    for policy in POLICIES[:3]:
        assert not _slot(rec_all, policy)["pmask"][:, :, 1:].any()


def test_same_key_same_episode(episode):
    _, rec, again = episode
    for a, b in zip(jax.tree_util.tree_leaves(rec), jax.tree_util.tree_leaves(again)):
        np.testing.assert_array_equal(a, b)


def test_coin_changes_only_through_build_payments(episode):
    params, rec, _ = episode
    rec = _flat(rec)
    keep = _not_reset(rec)
    coin = lambda s: s.inventory[..., COIN].sum(-1) + s.escrow[..., COIN].sum(-1)  # noqa: E731
    delta = coin(rec["after"]) - coin(rec["before"])
    payment = np.asarray(params.build_payment)[rec["before"].rank]
    paid = (rec["info"]["built"] * payment).sum(-1)
    np.testing.assert_allclose(delta[keep], paid[keep], atol=1e-9)
    assert rec["info"]["houses_built"].sum() > 0 and rec["info"]["tax_revenue"].sum() > 0


def test_resources_change_only_through_gather_and_build(episode):
    _, rec, _ = episode
    rec = _flat(rec)
    keep = _not_reset(rec)
    for col in (WOOD, STONE):
        held = lambda s: s.inventory[..., col].sum(-1) + s.escrow[..., col].sum(-1)  # noqa: E731
        delta = held(rec["after"]) - held(rec["before"])
        expected = rec["info"]["gathered_units"][..., col].sum(-1) - rec["info"]["built"].sum(-1)
        np.testing.assert_allclose(delta[keep], expected[keep], atol=1e-9)
    assert rec["info"]["trades"].sum() > 0


def test_no_negative_inventory_or_escrow(episode):
    _, rec, _ = episode
    rec = _flat(rec)
    assert rec["after"].inventory.min() >= -1e-9 and rec["after"].escrow.min() >= -1e-9


def test_labor_accounting(episode):
    params, rec, _ = episode
    rec = _flat(rec)
    keep = _not_reset(rec)
    i = rec["info"]
    expected = (float(params.move_labor) * i["moved"] + float(params.collect_labor) * i["collected"]
                + float(params.build_labor) * i["built"] + float(params.order_labor) * i["orders_placed"])
    delta = rec["after"].labor - rec["before"].labor
    np.testing.assert_allclose(delta[keep], expected[keep], atol=1e-9)


def test_masked_actions_only(episode):
    _, rec, _ = episode
    rec = _flat(rec)
    chosen = np.take_along_axis(rec["mask"], rec["action"]["agents"][..., None], -1)
    assert chosen.all()


def _book(n=3, m=2):
    return OrderBook.empty(1, n, m)


def test_market_matches_only_crossing_orders_at_the_earlier_price():
    n = 3
    inv = jnp.zeros((n, 3), jnp.float64).at[:, COIN].set(20.0).at[:, WOOD].set(2.0)
    esc = jnp.zeros((n, 3), jnp.float64)
    book = _book(n)
    order = jnp.arange(n)
    # step 0: agent 0 asks 5 for wood; agent 1 bids 4 (no cross); agent 2 asks 3 but also wants
    # nothing else
    res, is_bid, price = jnp.zeros(n, jnp.int32), jnp.array([False, True, False]), jnp.array([5, 4, 3])
    book, inv, esc, placed, seq = market.place_orders(book, inv, esc, res, is_bid, price,
                                                      jnp.array([True, True, True]), order, 0, 0)
    assert placed.all()
    book, inv, esc, stats = market.match(book, inv, esc)
    # the bid 4 crosses the ask 3 of agent 2 (placed the same step: the ask's price)
    assert int(stats["trades"][0]) == 1 and float(stats["trade_value"][0]) == 3.0
    assert float(inv[1, WOOD]) == 3.0 and float(inv[1, COIN]) == 17.0 and float(inv[2, COIN]) == 23.0
    assert float(esc[0, WOOD]) == 1.0 and int(book.active.sum()) == 1          # agent 0's ask rests
    # step 1: agent 0 bids 10 on its own ask: no self-trade; agent 1 bids 6: trades at the older ask's 5
    book, inv, esc, placed, seq = market.place_orders(
        book, inv, esc, res, jnp.array([True, True, False]), jnp.array([10, 6, 0]),
        jnp.array([True, True, False]), order, 1, seq)
    book, inv, esc, stats = market.match(book, inv, esc)
    assert int(stats["trades"][0]) == 1 and float(stats["trade_value"][0]) == 5.0
    assert float(inv[1, COIN]) == 17.0 - 5.0 and float(inv[0, COIN]) == 20.0 - 10.0 + 5.0
    assert float(esc[0, COIN]) == 10.0      # agent 0's own bid still open, coin in escrow
    total = inv.sum(0) + esc.sum(0)
    assert float(total[COIN]) == 60.0 and float(total[WOOD]) == 6.0
    # expiry returns escrow
    book, inv, esc = market.expire(book, inv, esc, 50, 5)
    assert int(book.active.sum()) == 0 and float(esc.sum()) == 0.0
    assert float(inv[0, COIN]) == 25.0 and float(inv.sum(0)[COIN]) == 60.0


def test_order_refused_without_coin_or_slot():
    n = 2
    inv = jnp.zeros((n, 3), jnp.float64).at[0, COIN].set(3.0)
    book = _book(n, m=1)
    order = jnp.arange(n)
    book, inv, esc, placed, _ = market.place_orders(book, inv, jnp.zeros((n, 3)), jnp.zeros(n, jnp.int32),
                                                    jnp.array([True, False]), jnp.array([5, 1]),
                                                    jnp.array([True, True]), order, 0, 0)
    assert not bool(placed[0]) and not bool(placed[1])       # too poor; nothing to sell
    book, inv, esc, placed, _ = market.place_orders(book, inv, esc, jnp.zeros(n, jnp.int32),
                                                    jnp.array([True, True]), jnp.array([3, 0]),
                                                    jnp.array([True, False]), order, 0, 0)
    assert bool(placed[0]) and float(esc[0, COIN]) == 3.0 and float(inv[0, COIN]) == 0.0


@pytest.mark.parametrize("kwargs,needle", [
    (dict(height=5, width=5), "smaller than the quadrant layout"),
    (dict(build_payments=(10.0, -1.0, 12.0, 13.0)), "negative"),
    (dict(height=7, width=7, n_agents=40, n_wood=1, n_stone=1), "more agents than free tiles"),
    (dict(swf="happiness"), "social welfare function"),
    (dict(period=2000), "period"),
])
def test_bad_gtb_input(kwargs, needle):
    with pytest.raises(ConfigError) as err:
        GTBConfig(**kwargs).make_params()
    assert needle in str(err.value)



def test_tax_models_set_the_right_rates(episode):
    _, rec, _ = episode
    rates = {p: _slot(rec, p)["after"].rates for p in POLICIES}
    tax = {p: _slot(rec, p)["info"]["tax_revenue"] for p in POLICIES}
    assert np.all(rates["free-market"] == 0) and tax["free-market"].sum() == 0
    np.testing.assert_allclose(rates["us-federal"][0], [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37])
    assert tax["us-federal"].sum() > 0
    # Saez: no tax in the first period, then rates from this episode's observed incomes, constant
    # within a period
    saez, period = rates["saez"], SMALL.period
    assert np.all(saez[:period - 1] == 0)
    assert np.all(saez[period:2 * period - 1] == saez[period]) and saez[period].max() > 0
    assert np.all((saez >= 0) & (saez <= 1))
    # on a tax day each agent pays taxes_due(period income), capped by its inventory coin; the
    # revenue comes back as an equal lump sum
    from envs.economy import taxes
    params = episode[0]
    for policy in ("us-federal", "saez"):
        r = _slot(rec, policy)
        for day in np.nonzero(r["info"]["tax_enacted"] * ~r["term"])[0][1:4]:   # not reset states
            after = jax.tree_util.tree_map(lambda x: x[day], r["after"])
            paid = after.tax_paid - r["after"].tax_paid[day - 1]
            due = np.asarray(taxes.taxes_due(jnp.asarray(after.last_income), params.cutoffs, jnp.asarray(after.rates)))
            lump = paid.sum() / paid.size
            capped = paid < due - 1e-9
            np.testing.assert_allclose(paid[~capped], due[~capped], atol=1e-9)
            np.testing.assert_allclose(after.inventory[capped, COIN], lump, atol=1e-9)
            np.testing.assert_allclose(r["info"]["tax_revenue"][day], paid.sum(), atol=1e-9)
    assert tax["us-federal"].sum() > 0 and tax["saez"].sum() > 0


def test_render_png(tmp_path, episode):
    from envs.economy.gtb.render import render
    params, rec, _ = episode
    state = jax.tree_util.tree_map(lambda x: x[25], _slot(rec, "us-federal")["after"])
    path = render(state, params, tmp_path / "gtb.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
