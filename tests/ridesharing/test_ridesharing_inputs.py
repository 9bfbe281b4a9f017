"""Bad input raises ConfigError before any compile: trip files, zone tables, cities, fleets."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rlkit
from envs.ridesharing import city as city_lib
from envs.ridesharing import demand as demand_lib
from envs.ridesharing import tlc
from envs.ridesharing.config import GridCityConfig, ManhattanConfig, TLCReplayConfig
from envs.ridesharing.env import RideshareEnv
from rlkit import ConfigError


def _parquet(path, **columns):
    pq.write_table(pa.table(columns), path)
    return path


def _times(n):
    return pa.array(np.asarray([np.datetime64("2024-07-17T19:03:00")] * n, "datetime64[us]"))


def test_trip_file_with_missing_columns(tmp_path):
    path = _parquet(tmp_path / "t.parquet", tpep_pickup_datetime=_times(2), PULocationID=pa.array([4, 12]))
    with pytest.raises(ConfigError, match="DOLocationID"):
        tlc.load_trip_windows(path, [(17, 19)])
    with pytest.raises(ConfigError, match="does not exist"):
        tlc.load_trip_windows(tmp_path / "missing.parquet", [(17, 19)])
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(ConfigError, match="parquet"):
        tlc.load_trip_windows(tmp_path / "bad.parquet", [(17, 19)])


def test_trip_zones_outside_the_table(tmp_path):
    path = _parquet(tmp_path / "t.parquet", tpep_pickup_datetime=_times(3),
                    PULocationID=pa.array([4, 12, 1]), DOLocationID=pa.array([13, 4, 4]))   # 1 = Newark
    with pytest.raises(ConfigError, match="outside the zone table"):
        tlc.load_trip_windows(path, [(17, 19)])
    origin, dest, valid = tlc.load_trip_windows(path, [(17, 19)], outside="drop")
    assert valid.sum() == 2 and valid[0, 3].sum() == 2
    with pytest.raises(ConfigError, match="zone index"):
        demand_lib.replay_demand(origin + 100, dest, valid, 69)


def test_zone_table_csv(tmp_path):
    good = tmp_path / "zones.csv"
    good.write_text("LocationID,lat,lon\n4,40.72,-73.97\n12,40.70,-74.01\n")
    ids, lat, lon = tlc.read_zone_table(good)
    assert list(ids) == [4, 12] and lat.shape == (2,)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,latitude\n4,40.7\n")
    with pytest.raises(ConfigError, match="LocationID"):
        tlc.read_zone_table(bad)


def test_negative_or_fractional_travel_times():
    t = np.array([[0, 3], [-1, 0]])
    with pytest.raises(ConfigError, match="negative"):
        city_lib.make_city(t, np.abs(t), np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="whole minutes"):
        city_lib.make_city(np.array([[0, 1.5], [1.5, 0]]), np.ones((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="square"):
        city_lib.make_city(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="minutes_per_block"):
        GridCityConfig(minutes_per_block=-1).validate()
    with pytest.raises(ConfigError, match="speed_kmh"):
        city_lib.city_from_centroids(np.zeros(2), np.zeros(2), speed_kmh=-5.0)


def test_capacity_below_one():
    with pytest.raises(ConfigError, match="capacities"):
        GridCityConfig(capacities=(0,)).validate()
    with pytest.raises(ConfigError, match="max_capacity"):
        RideshareEnv(4, max_capacity=0)
    env = RideshareEnv(4, max_capacity=2, max_orders=8, max_arrivals=4)
    city = city_lib.grid_city(3)
    demand = demand_lib.poisson_demand(np.ones(30), np.ones(9), np.ones(9))
    with pytest.raises(ConfigError, match="capacity"):
        env.make_params(city, demand, capacity=[1, 0, 2, 2])
    with pytest.raises(ConfigError, match="capacity"):
        env.make_params(city, demand, capacity=[1, 3, 2, 2])
    params = env.make_params(city, demand, capacity=[1, 2, 2, 1])
    assert params.capacity.tolist() == [1, 2, 2, 1]


def test_config_overrides_are_validated_before_compiling():
    cfg = rlkit.ExperimentConfig("x", env=GridCityConfig(), agent=None, train=rlkit.TrainConfig())
    with pytest.raises(ConfigError, match="capacities"):
        rlkit.apply_overrides(cfg, {"env.capacities": [0, 2]})
    with pytest.raises(ConfigError, match="hotspots"):
        rlkit.apply_overrides(cfg, {"env.hotspots": [500]})
    with pytest.raises(ConfigError, match="trip_file"):
        TLCReplayConfig().validate()
    with pytest.raises(ConfigError, match="max_arrivals"):
        ManhattanConfig(max_arrivals=200, max_orders=100).validate()
    with pytest.raises(ConfigError, match="rate"):
        demand_lib.profile_rates(-1.0, 30)
