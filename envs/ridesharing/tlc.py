"""NYC TLC trip records -> the simulator's replayed order stream (spec ospo.md §1.1).

The paper keeps yellow-taxi trips whose pickup and drop-off zones are both in Manhattan, places
them at their zones' centroids, and replays the orders of one window (day 17, 19:00-19:30) minute
by minute. :func:`load_trip_windows` reads a TLC parquet file with pyarrow (columns
``tpep_pickup_datetime``, ``PULocationID``, ``DOLocationID``; another pickup-time column can be
named), keeps the trips of the requested ``(day, hour)`` windows with ``minute < horizon``, maps
``LocationID`` to the zone index of a zone-centroid table, and bins them into ``[W, H, K]``
arrays for :func:`envs.ridesharing.demand.replay_demand`.

Trips with a zone outside the table raise :class:`rlkit.ConfigError` unless
``outside="drop"`` (the paper's filter to Manhattan-to-Manhattan trips). A zone table is a CSV
with columns ``LocationID, lat, lon`` (:func:`read_zone_table`) or the built-in Manhattan table.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from envs.ridesharing.zones import MANHATTAN_ZONES
from rlkit.config import ConfigError

PICKUP_TIME_COLUMN = "tpep_pickup_datetime"
ZONE_COLUMNS = ("PULocationID", "DOLocationID")


def read_zone_table(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(LocationID, lat, lon)`` arrays from a CSV (header ``LocationID,lat,lon``) or, for
    ``None``, the built-in 69 Manhattan zones."""
    if path is None:
        ids, lat, lon = (np.asarray(c) for c in zip(*MANHATTAN_ZONES))
        return ids.astype(np.int64), lat.astype(np.float64), lon.astype(np.float64)
    import csv
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"zone table {path} does not exist")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        need = {"LocationID", "lat", "lon"}
        if reader.fieldnames is None or not need <= set(reader.fieldnames):
            raise ConfigError(f"zone table {path} needs the columns {sorted(need)}, has "
                              f"{reader.fieldnames}")
        rows = [(int(r["LocationID"]), float(r["lat"]), float(r["lon"])) for r in reader]
    if not rows:
        raise ConfigError(f"zone table {path} has no rows")
    ids, lat, lon = (np.asarray(c) for c in zip(*rows))
    if len(set(ids.tolist())) != len(ids):
        raise ConfigError(f"zone table {path} repeats a LocationID")
    return ids, lat, lon


def _read_columns(path: Path, time_column: str) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    if not path.exists():
        raise ConfigError(f"trip file {path} does not exist")
    try:
        schema = pq.read_schema(path)
    except Exception as err:  # not a parquet file
        raise ConfigError(f"trip file {path} is not a readable parquet file: {err}") from None
    need = (time_column,) + ZONE_COLUMNS
    missing = [c for c in need if c not in schema.names]
    if missing:
        raise ConfigError(f"trip file {path} lacks the column(s) {missing}; required: {list(need)} "
                          f"(it has {schema.names})")
    table = pq.read_table(path, columns=list(need))
    out = {}
    for name in need:
        out[name] = table.column(name).to_numpy(zero_copy_only=False)   # nulls -> NaN / NaT
    return out


def load_trip_windows(path: str | Path, windows: Sequence[tuple[int, int]], horizon: int = 30,
                      zone_ids: np.ndarray | None = None, outside: str = "error",
                      time_column: str = PICKUP_TIME_COLUMN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trips of the ``(day, hour)`` windows as ``origin, dest, valid`` arrays ``[W, horizon, K]``
    of zone indices into ``zone_ids`` (default: the Manhattan table); ``K`` is the largest number
    of trips in one minute. See the module docstring."""
    if outside not in ("error", "drop"):
        raise ConfigError(f"outside must be 'error' or 'drop', got {outside!r}")
    if not windows:
        raise ConfigError("at least one (day, hour) window is needed")
    for day, hour in windows:
        if not (1 <= int(day) <= 31 and 0 <= int(hour) <= 23):
            raise ConfigError(f"window (day={day}, hour={hour}) is not a day 1..31 and an hour 0..23")
    if not isinstance(horizon, int) or not 1 <= horizon <= 60:
        raise ConfigError(f"horizon must be 1..60 minutes within the hour, got {horizon!r}")
    ids = read_zone_table(None)[0] if zone_ids is None else np.asarray(zone_ids)
    cols = _read_columns(Path(path), time_column)
    times = cols[time_column]
    if not np.issubdtype(times.dtype, np.datetime64):
        raise ConfigError(f"column {time_column!r} must hold timestamps, got dtype {times.dtype}")
    pu = np.asarray(cols[ZONE_COLUMNS[0]], np.float64)
    do = np.asarray(cols[ZONE_COLUMNS[1]], np.float64)
    index = {int(z): i for i, z in enumerate(ids.tolist())}
    lookup = np.full(int(max(ids.max(), np.nanmax(pu, initial=0), np.nanmax(do, initial=0))) + 2, -1)
    for z, i in index.items():
        lookup[z] = i

    def to_index(z: np.ndarray) -> np.ndarray:
        ok = np.isfinite(z) & (z >= 0)
        out = np.full(z.shape, -1)
        out[ok] = lookup[z[ok].astype(np.int64)]
        return out

    o, d = to_index(pu), to_index(do)
    ts = times.astype("datetime64[m]")
    day = (ts.astype("datetime64[D]") - ts.astype("datetime64[M]")).astype(np.int64) + 1
    hour = (ts - ts.astype("datetime64[D]")).astype(np.int64) // 60
    minute = (ts - ts.astype("datetime64[h]")).astype(np.int64)
    per_window = []
    for wd, wh in windows:
        sel = (day == int(wd)) & (hour == int(wh)) & (minute < horizon)
        bad = sel & ((o < 0) | (d < 0))
        if bad.any() and outside == "error":
            i = np.flatnonzero(bad)[0]
            zone = pu[i] if o[i] < 0 else do[i]
            raise ConfigError(f"trip file {path}: a trip in window (day {wd}, {wh}:00) has zone "
                              f"{zone!r} outside the zone table ({len(ids)} zones); use "
                              "outside='drop' to keep only trips inside the table")
        sel &= ~bad
        per_window.append((minute[sel], o[sel], d[sel]))
    k = max([1] + [int(np.bincount(m, minlength=horizon).max()) for m, _, _ in per_window if len(m)])
    shape = (len(windows), horizon, k)
    origin, dest, valid = np.zeros(shape, np.int32), np.zeros(shape, np.int32), np.zeros(shape, bool)
    for w, (m, oo, dd) in enumerate(per_window):
        order = np.argsort(m, kind="stable")
        m, oo, dd = m[order], oo[order], dd[order]
        slot = np.arange(len(m)) - np.searchsorted(m, m, side="left")
        origin[w, m, slot], dest[w, m, slot], valid[w, m, slot] = oo, dd, True
    return origin, dest, valid
