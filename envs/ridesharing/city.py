"""A city for the dispatch simulator: zones, a travel-time matrix in integer minutes, distances.

The paper routes with OSRM between zone centroids and truncates each ETA to whole minutes
(spec ospo.md §1.2: ``int(leg_duration / 60)``). Offline we replace OSRM by a street-grid model
[design]: the L1 distance in a frame aligned with the street grid, driven at a constant speed,
truncated to whole minutes. Two generators:

- :func:`grid_city`: an ``n x m`` grid of square blocks (the CPU test bed of spec §6);
- :func:`manhattan_like_city`: 69 zones shaped like Manhattan, either the real TLC zone centroids
  (:mod:`envs.ridesharing.zones`) with a grid rotated by Manhattan's 29 degrees, or a random
  strip of the same size (for instance-per-seed studies).

Every constructor goes through :func:`make_city`, which validates concrete inputs and raises
:class:`rlkit.ConfigError` on bad ones (negative or non-finite travel times, wrong shapes).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs.ridesharing.zones import MANHATTAN_ZONES
from rlkit.config import ConfigError

KM_PER_DEGREE_LAT = 111.0
MANHATTAN_GRID_DEGREES = 29.0   # the street grid runs about 29 degrees east of true north


@struct.dataclass
class City:
    """Zones of a city.

    Attributes:
      travel_time: ``[Z, Z]`` int32 minutes from zone ``a`` to zone ``b`` (``0`` on the diagonal
        is allowed: a trip inside one zone).
      distance_km: ``[Z, Z]`` float32 road distance (the reward's distance-revenue term).
      coords: ``[Z, 2]`` float32 zone positions min-max normalised to ``[0, 1]`` (features).
      zone_ids: ``[Z]`` int32 external ids (TLC ``LocationID``, or the grid index).
    """

    travel_time: jax.Array
    distance_km: jax.Array
    coords: jax.Array
    zone_ids: jax.Array

    @property
    def n_zones(self) -> int:
        return int(self.travel_time.shape[-1])


def make_city(travel_time, distance_km, coords, zone_ids=None) -> City:
    """Validate and pack a city (concrete arrays only; raises :class:`ConfigError`)."""
    t = np.asarray(travel_time, np.float64)
    d = np.asarray(distance_km, np.float64)
    c = np.asarray(coords, np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 1:
        raise ConfigError(f"travel_time must be a square [Z, Z] matrix with Z >= 1, got shape {t.shape}")
    z = t.shape[0]
    if not np.all(np.isfinite(t)):
        raise ConfigError("travel_time has non-finite entries; allowed: finite minutes >= 0")
    if np.any(t < 0):
        a, b = np.argwhere(t < 0)[0]
        raise ConfigError(f"travel_time has a negative entry t[{a}, {b}] = {t[a, b]}; "
                          "allowed: minutes >= 0")
    if np.any(t != np.floor(t)):
        raise ConfigError("travel_time must hold whole minutes (integers), as the simulator's "
                          "clock ticks once a minute")
    if d.shape != (z, z) or not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ConfigError(f"distance_km must be a finite, non-negative [Z, Z] = [{z}, {z}] matrix, "
                          f"got shape {d.shape}")
    if c.shape != (z, 2) or not np.all(np.isfinite(c)):
        raise ConfigError(f"coords must be a finite [Z, 2] = [{z}, 2] array, got shape {c.shape}")
    lo, hi = c.min(0), c.max(0)
    c = (c - lo) / np.where(hi > lo, hi - lo, 1.0)
    ids = np.arange(z) if zone_ids is None else np.asarray(zone_ids)
    if ids.shape != (z,) or len(set(ids.tolist())) != z:
        raise ConfigError(f"zone_ids must be {z} distinct ids, got {ids.shape}")
    return City(jnp.asarray(t, jnp.int32), jnp.asarray(d, jnp.float32),
                jnp.asarray(c, jnp.float32), jnp.asarray(ids, jnp.int32))


def grid_city(rows: int, cols: int | None = None, minutes_per_block: int = 1,
              km_per_block: float = 0.5) -> City:
    """An ``rows x cols`` grid of zones; travel time = L1 blocks x ``minutes_per_block``."""
    cols = rows if cols is None else cols
    if rows < 1 or cols < 1:
        raise ConfigError(f"grid city needs rows, cols >= 1, got {rows} x {cols}")
    if minutes_per_block < 0 or km_per_block < 0:
        raise ConfigError("minutes_per_block and km_per_block must be >= 0 (negative travel "
                          f"times are not allowed), got {minutes_per_block}, {km_per_block}")
    r, c = np.divmod(np.arange(rows * cols), cols)
    blocks = np.abs(r[:, None] - r[None, :]) + np.abs(c[:, None] - c[None, :])
    coords = np.stack([c, r], axis=1).astype(np.float64)
    return make_city(blocks * minutes_per_block, blocks * km_per_block, coords)


def street_grid_km(lat: np.ndarray, lon: np.ndarray, grid_degrees: float = MANHATTAN_GRID_DEGREES
                   ) -> np.ndarray:
    """L1 distance in km between points, measured along a street grid rotated by ``grid_degrees``."""
    lat = np.asarray(lat, np.float64)
    lon = np.asarray(lon, np.float64)
    y = lat * KM_PER_DEGREE_LAT
    x = lon * KM_PER_DEGREE_LAT * np.cos(np.deg2rad(lat.mean()))
    a = np.deg2rad(grid_degrees)
    u = x * np.cos(a) - y * np.sin(a)    # across the avenues
    v = x * np.sin(a) + y * np.cos(a)    # along the avenues
    return np.abs(u[:, None] - u[None, :]) + np.abs(v[:, None] - v[None, :])


def city_from_centroids(lat, lon, zone_ids=None, speed_kmh: float = 20.0,
                        grid_degrees: float = MANHATTAN_GRID_DEGREES) -> City:
    """A city from zone centroids: street-grid distances, whole-minute ETAs at ``speed_kmh``."""
    if not speed_kmh > 0:
        raise ConfigError(f"speed_kmh must be > 0, got {speed_kmh}")
    km = street_grid_km(lat, lon, grid_degrees)
    minutes = np.floor(km / speed_kmh * 60.0)
    return make_city(minutes, km, np.stack([np.asarray(lon), np.asarray(lat)], 1), zone_ids)


def manhattan_like_city(key: jax.Array | None = None, speed_kmh: float = 20.0,
                        n_zones: int = 69) -> City:
    """Manhattan's 69 taxi zones (``key=None``: the real TLC centroids) or a random strip of
    ``n_zones`` zones of Manhattan's size (about 21 km x 4 km, the avenues tilted 29 degrees)."""
    if key is None:
        if n_zones != len(MANHATTAN_ZONES):
            raise ConfigError(f"the real Manhattan table has {len(MANHATTAN_ZONES)} zones; "
                              f"n_zones={n_zones} needs a key (random strip)")
        ids, lat, lon = (np.asarray(col) for col in zip(*MANHATTAN_ZONES))
        return city_from_centroids(lat, lon, ids, speed_kmh)
    if n_zones < 1:
        raise ConfigError(f"n_zones must be >= 1, got {n_zones}")
    along, across = np.asarray(jax.random.uniform(key, (2, n_zones)))
    v = along * 21.0            # km along the island
    u = (across - 0.5) * 3.7    # km across
    a = np.deg2rad(MANHATTAN_GRID_DEGREES)
    y = -u * np.sin(a) + v * np.cos(a)
    x = u * np.cos(a) + v * np.sin(a)
    lat = 40.70 + y / KM_PER_DEGREE_LAT
    lon = -74.01 + x / (KM_PER_DEGREE_LAT * np.cos(np.deg2rad(40.78)))
    return city_from_centroids(lat, lon, None, speed_kmh)
