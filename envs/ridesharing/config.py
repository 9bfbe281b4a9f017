"""Env configs (``rlkit.EnvConfig``) for the ride-sharing experiments: a grid city, the
Manhattan-like 69-zone city with Poisson demand, and replayed NYC TLC trips.

Every field is a plain value (so dotted overrides and sweeps work); ``validate`` raises
:class:`rlkit.ConfigError` before anything is compiled (capacity < 1, bad sizes, ...).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.ridesharing import city as city_lib
from envs.ridesharing import demand as demand_lib
from envs.ridesharing.env import PAPER_REWARD_WEIGHTS, PAPER_TIMEOUT_MINUTES, RideshareEnv
from rlkit.config import ConfigError, EnvConfig

PROFILES = ("flat", "nyc")
# Midtown-ish hot spots of the Manhattan table (TLC LocationIDs) [design]
MANHATTAN_HOTSPOTS = (161, 162, 163, 170, 186, 230, 234, 236, 237, 48, 68, 79, 100, 107)


@dataclass(frozen=True)
class FleetFields:
    """Fleet, pool and reward settings shared by the configs."""

    n_vehicles: int = 50
    capacities: tuple[int, ...] = (3,)   # assigned round-robin over the fleet; (1, 2, 3) mixes
    max_orders: int = 48
    max_arrivals: int = 16
    horizon: int = 30
    max_wait: int = 5
    reward_weights: tuple[float, ...] = PAPER_REWARD_WEIGHTS
    timeout_threshold: int = PAPER_TIMEOUT_MINUTES

    def _validate_fleet(self) -> None:
        for name in ("n_vehicles", "max_orders", "max_arrivals", "horizon", "max_wait"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if not self.capacities or any(not isinstance(c, int) or c < 1 for c in self.capacities):
            raise ConfigError(f"capacities must be integers >= 1 (seats per vehicle), got {self.capacities!r}")
        if self.max_arrivals > self.max_orders:
            raise ConfigError(f"max_arrivals ({self.max_arrivals}) cannot exceed max_orders ({self.max_orders})")
        if len(self.reward_weights) != 6:
            raise ConfigError(f"reward_weights must have 6 entries (beta_0..beta_5), got {len(self.reward_weights)}")
        if self.timeout_threshold < 0:
            raise ConfigError(f"timeout_threshold must be >= 0, got {self.timeout_threshold}")

    def _env(self, demand: str = "poisson") -> RideshareEnv:
        return RideshareEnv(self.n_vehicles, max(self.capacities), self.max_orders, self.max_arrivals,
                            self.horizon, demand)

    def _params(self, env: RideshareEnv, city, demand, start_weights=None):
        caps = np.resize(np.asarray(self.capacities), self.n_vehicles)
        return env.make_params(city, demand, caps, start_weights, self.reward_weights,
                               self.timeout_threshold, self.max_wait)


def _rates(rate: float, horizon: int, profile: str, start_hour: float) -> np.ndarray:
    if profile not in PROFILES:
        raise ConfigError(f"profile must be one of {list(PROFILES)}, got {profile!r}")
    shape = None if profile == "flat" else demand_lib.NYC_HOURLY_PROFILE
    return demand_lib.profile_rates(rate, horizon, int(round(start_hour * 60)), shape)


@dataclass(frozen=True)
class GridCityConfig(FleetFields, EnvConfig):
    """The CPU test bed of spec §6-§7: a grid city, Poisson demand with hot-spot origins."""

    rows: int = 10
    cols: int = 10
    minutes_per_block: int = 1
    km_per_block: float = 0.5
    rate: float = 6.0                      # orders per minute (times the profile)
    profile: str = "flat"
    start_hour: float = 19.0
    hotspots: tuple[int, ...] = (22, 77)   # zone indices with extra origin weight
    hotspot_boost: float = 6.0
    instance_per_seed: bool = False

    def validate(self) -> None:
        self._validate_fleet()
        if self.rows < 1 or self.cols < 1:
            raise ConfigError(f"rows and cols must be >= 1, got {self.rows} x {self.cols}")
        if self.minutes_per_block < 0:
            raise ConfigError(f"minutes_per_block must be >= 0 (travel times cannot be negative), "
                              f"got {self.minutes_per_block}")
        if not self.rate >= 0:
            raise ConfigError(f"rate must be >= 0 orders per minute, got {self.rate}")
        if any(not 0 <= z < self.rows * self.cols for z in self.hotspots):
            raise ConfigError(f"hotspots must be zone indices in 0..{self.rows * self.cols - 1}, got {self.hotspots}")
        _rates(self.rate, self.horizon, self.profile, self.start_hour)

    def make_env(self) -> RideshareEnv:
        return self._env()

    def make_city(self):
        return city_lib.grid_city(self.rows, self.cols, self.minutes_per_block, self.km_per_block)

    def make_params(self, key):
        self.validate()
        city = self.make_city()
        origin = demand_lib.hotspot_weights(city.n_zones, self.hotspots, self.hotspot_boost)
        uniform = np.ones(city.n_zones)
        demand = demand_lib.poisson_demand(_rates(self.rate, self.horizon, self.profile, self.start_hour),
                                           origin, uniform)
        return self._params(self.make_env(), city, demand)


def _manhattan_origin_weights(ids: np.ndarray, boost: float) -> np.ndarray:
    hot = [int(np.flatnonzero(ids == z)[0]) for z in MANHATTAN_HOTSPOTS if z in ids]
    return demand_lib.hotspot_weights(len(ids), hot, boost)


@dataclass(frozen=True)
class ManhattanConfig(FleetFields, EnvConfig):
    """The paper's setting (spec §5) with Poisson demand: 69 Manhattan zones (real TLC centroids;
    ``random_layout`` draws a Manhattan-like strip per seed), street-grid ETAs at ``speed_kmh``.
    The paper runs 1000 vehicles of capacity 3 and ~3.7 k orders in 30 minutes (``rate`` ~ 125);
    the defaults are a fifth of that for CPU runs."""

    n_vehicles: int = 200
    max_orders: int = 96
    max_arrivals: int = 48
    speed_kmh: float = 20.0
    rate: float = 25.0
    profile: str = "nyc"
    start_hour: float = 19.0
    hotspot_boost: float = 3.0
    random_layout: bool = False
    instance_per_seed: bool = False

    def validate(self) -> None:
        self._validate_fleet()
        if not self.speed_kmh > 0:
            raise ConfigError(f"speed_kmh must be > 0, got {self.speed_kmh}")
        if not self.rate >= 0:
            raise ConfigError(f"rate must be >= 0, got {self.rate}")
        _rates(self.rate, self.horizon, self.profile, self.start_hour)

    def make_env(self) -> RideshareEnv:
        return self._env()

    def make_params(self, key):
        self.validate()
        if self.random_layout:
            city = city_lib.manhattan_like_city(key, self.speed_kmh)
            weights = np.ones(city.n_zones)
        else:
            city = city_lib.manhattan_like_city(None, self.speed_kmh)
            weights = _manhattan_origin_weights(np.asarray(city.zone_ids), self.hotspot_boost)
        demand = demand_lib.poisson_demand(_rates(self.rate, self.horizon, self.profile, self.start_hour),
                                           weights, weights)
        return self._params(self.make_env(), city, demand, start_weights=weights)


@dataclass(frozen=True)
class TLCReplayConfig(FleetFields, EnvConfig):
    """Replayed NYC TLC yellow-taxi trips (spec §1.1): ``trip_file`` (parquet), ``windows`` as
    ``(day, hour)`` pairs (one is drawn per episode), each trip kept with ``sample_rate``.
    ``zone_table``: a CSV ``LocationID,lat,lon`` (empty: the built-in Manhattan table)."""

    trip_file: str = ""
    zone_table: str = ""
    windows: tuple[tuple[int, int], ...] = ((17, 19),)
    sample_rate: float = 0.95
    outside: str = "drop"
    speed_kmh: float = 20.0
    n_vehicles: int = 1000
    max_orders: int = 512

    def validate(self) -> None:
        self._validate_fleet()
        if not self.trip_file:
            raise ConfigError("env.trip_file must name a TLC trip-record parquet file")
        if not 0 < self.sample_rate <= 1:
            raise ConfigError(f"sample_rate must be in (0, 1], got {self.sample_rate}")

    def make_env(self) -> RideshareEnv:
        return self._env("replay")

    def make_params(self, key):
        from envs.ridesharing import tlc
        self.validate()
        ids, lat, lon = tlc.read_zone_table(self.zone_table or None)
        origin, dest, valid = tlc.load_trip_windows(self.trip_file, self.windows, self.horizon, ids,
                                                    self.outside)
        if origin.shape[-1] > self.max_arrivals:
            raise ConfigError(f"the trip file has up to {origin.shape[-1]} trips in one minute; set "
                              f"env.max_arrivals (now {self.max_arrivals}) and env.max_orders at least that high")
        city = city_lib.city_from_centroids(lat, lon, ids, self.speed_kmh)
        demand = demand_lib.replay_demand(origin, dest, valid, city.n_zones, self.sample_rate)
        return self._params(self.make_env(), city, demand)


__all__ = ["GridCityConfig", "ManhattanConfig", "TLCReplayConfig"]
