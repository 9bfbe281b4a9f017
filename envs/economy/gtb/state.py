"""Parameters and state of Gather-Trade-Build (pytrees; static fields fix shapes and rules)."""
from __future__ import annotations

import jax
from flax import struct

from envs.economy.gtb.market import OrderBook

WOOD, STONE, COIN = 0, 1, 2
N_RESOURCES = 2
MOVES = ((0, -1), (0, 1), (-1, 0), (1, 0))   # left, right, up, down (row, column offsets)
# how the rates are set (``GTBParams.tax_mode``, a traced leaf so that every policy shares one
# compiled program and a vmap can batch economies under different policies)
TAX_PLANNER, TAX_FIXED, TAX_SAEZ = 0, 1, 2


@struct.dataclass
class GTBParams:
    water: jax.Array            # [H, W] bool
    wood_source: jax.Array      # [H, W] bool
    stone_source: jax.Array     # [H, W] bool
    starts: jax.Array           # [N, 2] start tiles by skill rank
    build_payment: jax.Array    # [N] coin per house, by skill rank (ascending)
    gather_bonus: jax.Array     # [N] probability of a bonus unit per collection, by skill rank
    cutoffs: jax.Array          # [B]
    rate_grid: jax.Array        # [R]
    fixed_rates: jax.Array      # [B] (tax_model "fixed")
    resource_regen_prob: jax.Array
    build_labor: jax.Array
    move_labor: jax.Array
    collect_labor: jax.Array
    order_labor: jax.Array
    energy_cost: jax.Array      # kappa of the isoelastic utility
    isoelastic_eta: jax.Array
    equality_weight: jax.Array
    saez_elasticity: jax.Array
    starting_coin: jax.Array
    order_duration: jax.Array
    tax_mode: jax.Array         # int32: TAX_PLANNER | TAX_FIXED (fixed_rates) | TAX_SAEZ
    episode_length: int = struct.field(pytree_node=False, default=1000)
    period: int = struct.field(pytree_node=False, default=100)
    max_bid_ask: int = struct.field(pytree_node=False, default=10)
    max_num_orders: int = struct.field(pytree_node=False, default=5)
    obs_radius: int = struct.field(pytree_node=False, default=5)
    swf: str = struct.field(pytree_node=False, default="coin_eq_times_productivity")
    permute_agents: bool = struct.field(pytree_node=False, default=True)
    foundation_gini: bool = struct.field(pytree_node=False, default=False)

    @property
    def n_agents(self) -> int:
        return self.starts.shape[0]

    @property
    def n_brackets(self) -> int:
        return self.cutoffs.shape[0]

    @property
    def n_rates(self) -> int:
        return self.rate_grid.shape[0]

    @property
    def n_periods(self) -> int:
        return -(-self.episode_length // self.period)

    @property
    def n_prices(self) -> int:
        return self.max_bid_ask + 1

    @property
    def n_actions(self) -> int:
        """NO-OP, build, ``2 resources x (bid, ask) x prices`` market orders, 4 moves (50 by default)."""
        return 2 + N_RESOURCES * 2 * self.n_prices + len(MOVES)


@struct.dataclass
class GTBState:
    time: jax.Array              # steps taken
    wood: jax.Array              # [H, W] 1 where a wood unit lies
    stone: jax.Array             # [H, W]
    house_owner: jax.Array       # [H, W] int32, -1 for none
    pos: jax.Array               # [N, 2] int32
    inventory: jax.Array         # [N, 3] wood, stone, coin
    escrow: jax.Array            # [N, 3]
    labor: jax.Array             # [N]
    rank: jax.Array              # [N] skill rank of each agent this episode
    book: OrderBook
    next_seq: jax.Array
    rates: jax.Array             # [B]
    last_coin: jax.Array         # [N] coin endowment at the last tax enactment
    last_income: jax.Array       # [N]
    last_marginal: jax.Array     # [N]
    income_history: jax.Array    # [P, N] incomes of finished periods (Saez buffer)
    periods_done: jax.Array
    utility: jax.Array           # [N] utility after the previous step
    welfare: jax.Array           # social welfare after the previous step
    houses: jax.Array            # [N] houses built this episode
    tax_paid: jax.Array          # [N] taxes paid this episode
