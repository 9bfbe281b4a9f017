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


@pytest.fixture(scope="module")
def episode():
    env, params = SMALL.make_env(), SMALL.make_params()

    def body(carry, key):
        state, obs = carry
        k_a, k_s = jax.random.split(key)
        action = _random_policy(k_a, obs)
        obs2, state2, reward, term, trunc, info = env.step(k_s, state, action, params)
        info.pop("final_observation")
        record = {"before": state, "after": state2, "action": action, "reward": reward, "term": term,
                  "info": info, "mask": obs["agents"]["action_mask"], "pmask": obs["planner"]["action_mask"]}
        return (state2, obs2), record

    @jax.jit
    def run(key):
        k0, k1 = jax.random.split(key)
        obs, state = env.reset(k0, params)
        return jax.lax.scan(body, (state, obs), jax.random.split(k1, STEPS))[1]

    out = run(jax.random.PRNGKey(3))
    again = run(jax.random.PRNGKey(3))
    return params, jax.tree_util.tree_map(np.asarray, out), jax.tree_util.tree_map(np.asarray, again)


def _not_reset(rec):
    """Steps that did not end an episode (the post-step state is not a fresh reset)."""
    return ~rec["term"]


def test_episode_length_and_tax_periods(episode):
    params, rec, _ = episode
    ends = np.nonzero(rec["term"])[0]
    np.testing.assert_array_equal(ends, [59, 119])
    enacted = np.nonzero(rec["info"]["tax_enacted"])[0]
    np.testing.assert_array_equal(enacted[:6], [19, 39, 59, 79, 99, 119])
    assert int(rec["info"]["tax_enacted"][:60].sum()) == 60 // 20
    # planner may set taxes only on the first step of each period
    can_set = rec["pmask"][:, 0, 1:].any(-1)
    np.testing.assert_array_equal(np.nonzero(can_set)[0][:6], [0, 20, 40, 60, 80, 100])


def test_same_key_same_episode(episode):
    _, rec, again = episode
    for a, b in zip(jax.tree_util.tree_leaves(rec), jax.tree_util.tree_leaves(again)):
        np.testing.assert_array_equal(a, b)


def test_coin_changes_only_through_build_payments(episode):
    params, rec, _ = episode
    keep = _not_reset(rec)
    coin = lambda s: s.inventory[..., COIN].sum(-1) + s.escrow[..., COIN].sum(-1)  # noqa: E731
    delta = coin(rec["after"]) - coin(rec["before"])
    payment = np.asarray(params.build_payment)[rec["before"].rank]
    paid = (rec["info"]["built"] * payment).sum(-1)
    np.testing.assert_allclose(delta[keep], paid[keep], atol=1e-9)
    assert rec["info"]["houses_built"].sum() > 0 and rec["info"]["tax_revenue"].sum() > 0


def test_resources_change_only_through_gather_and_build(episode):
    _, rec, _ = episode
    keep = _not_reset(rec)
    for col in (WOOD, STONE):
        held = lambda s: s.inventory[..., col].sum(-1) + s.escrow[..., col].sum(-1)  # noqa: E731
        delta = held(rec["after"]) - held(rec["before"])
        expected = rec["info"]["gathered_units"][..., col].sum(-1) - rec["info"]["built"].sum(-1)
        np.testing.assert_allclose(delta[keep], expected[keep], atol=1e-9)
    assert rec["info"]["trades"].sum() > 0


def test_no_negative_inventory_or_escrow(episode):
    _, rec, _ = episode
    assert rec["after"].inventory.min() >= -1e-9 and rec["after"].escrow.min() >= -1e-9


def test_labor_accounting(episode):
    params, rec, _ = episode
    keep = _not_reset(rec)
    i = rec["info"]
    expected = (float(params.move_labor) * i["moved"] + float(params.collect_labor) * i["collected"]
                + float(params.build_labor) * i["built"] + float(params.order_labor) * i["orders_placed"])
    delta = rec["after"].labor - rec["before"].labor
    np.testing.assert_allclose(delta[keep], expected[keep], atol=1e-9)


def test_masked_actions_only(episode):
    _, rec, _ = episode
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


POLICIES = {"free-market": dict(tax_model="free-market"), "us-federal": dict(tax_model="us-federal"),
            "saez": dict(tax_model="saez"), "planner": dict(tax_model="planner")}


@pytest.fixture(scope="module")
def policy_episodes():
    """One episode per tax model, all four vmapped through one jitted program (params batched)."""
    import chex
    configs = [GTBConfig(**{**SMALL.__dict__, **kw}) for kw in POLICIES.values()]
    env = SMALL.make_env()
    params = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[c.make_params() for c in configs])

    @jax.jit
    @chex.assert_max_traces(n=1)
    def run(key, p):
        obs, state = env.reset(key, p)

        def body(carry, k):
            state, obs = carry
            k_a, k_s = jax.random.split(k)
            action = _random_policy(k_a, obs)
            obs, state, reward, term, trunc, info = env.step(k_s, state, action, p)
            return (state, obs), {"rates": state.rates, "tax": info["tax_revenue"], "term": term,
                                  "coin": state.inventory[:, COIN] + state.escrow[:, COIN]}

        return jax.lax.scan(body, (state, obs), jax.random.split(key, SMALL.episode_length - 1))[1]

    batched = jax.vmap(run, in_axes=(None, 0))
    out = batched(jax.random.PRNGKey(5), params)
    batched(jax.random.PRNGKey(6), params)          # a new key does not retrace
    return configs, jax.tree_util.tree_map(np.asarray, out)


def test_tax_models_set_the_right_rates(policy_episodes):
    configs, out = policy_episodes
    names = list(POLICIES)
    free, us, saez = (out["rates"][names.index(k)] for k in ("free-market", "us-federal", "saez"))
    assert np.all(free == 0) and out["tax"][names.index("free-market")].sum() == 0
    np.testing.assert_allclose(us[0], [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37])
    # Saez: no tax in the first period, rates from the observed incomes afterwards, constant within a period
    period = SMALL.period
    assert np.all(saez[:period - 1] == 0)
    assert np.all(saez[period:2 * period - 1] == saez[period]) and saez[period].max() > 0
    assert np.all((saez >= 0) & (saez <= 1))


def test_vmapped_economies_conserve_coin_per_policy(policy_episodes):
    configs, out = policy_episodes
    # lump-sum redistribution: no tax model creates or destroys coin on a tax day, so the total only
    # grows by build payments and never falls
    assert np.all(np.diff(out["coin"].sum(-1), axis=1) >= -1e-9)


def test_render_png(tmp_path, episode):
    from envs.economy.gtb.render import render
    params, rec, _ = episode
    state = jax.tree_util.tree_map(lambda x: x[25], rec["after"])
    path = render(state, params, tmp_path / "gtb.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
