"""A cascading MDP built from a MovieLens-format ratings file [design; not the paper's].

The paper's experiments (Section 7) turn MovieLens into a cascading MDP with S = 20, H = 3,
m = 3, N in {10, 15, 20, 25}, but the construction is not described in its main text (spec §5.1).
This module builds the one of spec §5.4, deterministically:

1. **Ratings.** Rows ``user, item, rating, timestamp``: ml-100k's ``u.data`` (tab or whitespace
   separated, no header), ml-1m's ``ratings.dat`` (``::``) or a CSV with a header naming the four
   columns (``userId,movieId,rating,timestamp`` as in ml-latest). Ratings lie on
   ``rating_scale`` (default 1..5). Timestamps are checked but not used.
2. **Items.** The ground set is the ``N`` most-rated movies (ties: lower id), or ``item_ids``.
3. **States = user segments.** Each user who rated a ground-set movie gets a profile
   ``x[a] = 2 (rating - lo) / (hi - lo) - 1`` for the movies ``a`` they rated (0 otherwise);
   Lloyd's k-means with a farthest-point start (from the user with the most ratings) cuts users
   into ``S`` segments; segments are numbered by size, largest first; ``s1`` = the largest.
4. **Attraction.** ``q(s, a)`` = the fraction of the users of segment ``s`` who rated ``a`` at
   least ``like_threshold`` (a click is "the user likes the movie").
5. **Reward.** ``r(s, a)`` = the mean normalised rating ``(rating - lo) / (hi - lo)`` of ``a`` in
   segment ``s`` (the overall mean of ``a`` when nobody in ``s`` rated it).
6. **Transitions.** Watching ``a`` pulls the user towards the audience of ``a``:
   ``p(.|s, a) = (1 - drift) 1[s' = s] + drift nu_a`` with ``nu_a(s')`` the share of the users who
   liked ``a`` that are in segment ``s'`` (of those who rated it, when nobody liked it). No click:
   the user stays, ``p(.|s, a_bot) = 1[s' = s]``.

Bad input raises :class:`rlkit.ConfigError` naming the problem: a missing file, a row or header
missing a column, a non-numeric id, a rating off the scale, ``item_ids`` that do not occur in the
file, fewer items than ``N`` or fewer distinct user profiles than ``S``, ``m > N``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rlkit.cascading import CascadingModel, make_cascading_model
from rlkit.config import ConfigError

COLUMNS = ("user", "item", "rating", "timestamp")
HEADER_NAMES = {"user": ("user", "userid", "user_id"), "item": ("item", "movieid", "movie_id", "itemid", "item_id", "movie"),
                "rating": ("rating",), "timestamp": ("timestamp", "time", "ts")}


@dataclass(frozen=True)
class Ratings:
    user: np.ndarray       # int64
    item: np.ndarray       # int64
    rating: np.ndarray     # float64
    timestamp: np.ndarray  # int64


def _split(line: str) -> list[str]:
    if "::" in line:
        return line.split("::")
    if "\t" in line:
        return line.split("\t")
    if "," in line:
        return line.split(",")
    return line.split()


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _header_columns(fields: list[str], path: Path) -> list[int]:
    names = [f.strip().lower() for f in fields]
    index = []
    for col in COLUMNS:
        found = [i for i, name in enumerate(names) if name in HEADER_NAMES[col]]
        if not found:
            raise ConfigError(f"{path}: the header {fields} has no {col!r} column; a ratings file "
                              f"needs the columns {', '.join(COLUMNS)}")
        index.append(found[0])
    return index


def read_ratings(path: str | Path, rating_scale: tuple[float, float] = (1.0, 5.0)) -> Ratings:
    """Parse a MovieLens-format ratings file (see the module docstring) and check every row."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"ratings file {path} does not exist")
    lo, hi = rating_scale
    if not hi > lo:
        raise ConfigError(f"rating_scale must be (low, high) with high > low, got {rating_scale}")
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(path.read_text().splitlines()) if ln.strip()]
    if not lines:
        raise ConfigError(f"ratings file {path} is empty")
    columns = [0, 1, 2, 3]
    first_fields = _split(lines[0][1])
    if not any(_is_number(f) for f in first_fields):      # a header names every column
        columns = _header_columns(first_fields, path)
        lines = lines[1:]
    need = max(columns) + 1
    rows = []
    for number, line in lines:
        fields = _split(line)
        if len(fields) < need:
            missing = [COLUMNS[j] for j, c in enumerate(columns) if c >= len(fields)]
            raise ConfigError(f"{path}, line {number}: {len(fields)} column(s), missing "
                              f"{', '.join(missing)}; each row needs {', '.join(COLUMNS)}")
        values = [fields[c].strip() for c in columns]
        for col, text in zip(COLUMNS, values):
            if col in ("user", "item") and not text.isdigit():
                raise ConfigError(f"{path}, line {number}: {col} id {text!r} is not a non-negative integer")
            if not _is_number(text):
                raise ConfigError(f"{path}, line {number}: {col} {text!r} is not a number")
        rating = float(values[2])
        if not lo <= rating <= hi:
            raise ConfigError(f"{path}, line {number}: rating {rating:g} is outside the rating scale "
                              f"[{lo:g}, {hi:g}]")
        rows.append((int(values[0]), int(values[1]), rating, int(float(values[3]))))
    if not rows:
        raise ConfigError(f"ratings file {path} has a header but no ratings")
    arr = list(zip(*rows))
    return Ratings(np.asarray(arr[0], np.int64), np.asarray(arr[1], np.int64),
                   np.asarray(arr[2], np.float64), np.asarray(arr[3], np.int64))


def select_items(ratings: Ratings, N: int, item_ids=None) -> np.ndarray:
    """The ground set: ``item_ids`` (checked against the file) or the ``N`` most-rated items."""
    present, counts = np.unique(ratings.item, return_counts=True)
    if item_ids is not None:
        item_ids = np.asarray(list(item_ids), np.int64)
        unknown = sorted(set(item_ids.tolist()) - set(present.tolist()))
        if unknown:
            raise ConfigError(f"item_ids {unknown} do not occur in the ratings file (unknown ids)")
        if len(set(item_ids.tolist())) != len(item_ids):
            raise ConfigError(f"item_ids must be distinct, got {item_ids.tolist()}")
        if len(item_ids) != N:
            raise ConfigError(f"item_ids lists {len(item_ids)} items but N = {N}")
        return item_ids
    if N > len(present):
        raise ConfigError(f"N = {N} items requested but the ratings file has only {len(present)} "
                          f"distinct items")
    order = np.lexsort((present, -counts))
    return present[order[:N]]


def kmeans(x: np.ndarray, k: int, iterations: int = 100) -> np.ndarray:
    """Deterministic Lloyd's k-means: farthest-point start from row 0; labels ``[n]``.

    An emptied cluster is re-seeded at the point farthest from its centroid. Raises
    :class:`ConfigError` when ``x`` has fewer than ``k`` distinct rows.
    """
    if len(np.unique(x, axis=0)) < k:
        raise ConfigError(f"only {len(np.unique(x, axis=0))} distinct user profiles, fewer than "
                          f"S = {k} states; use a smaller S or more ratings")
    centres = [x[0]]
    dist = np.sum((x - x[0]) ** 2, axis=1)
    for _ in range(1, k):
        centres.append(x[int(np.argmax(dist))])
        dist = np.minimum(dist, np.sum((x - centres[-1]) ** 2, axis=1))
    centres = np.asarray(centres)
    labels = np.full(len(x), -1)
    for _ in range(iterations):
        d = np.sum((x[:, None, :] - centres[None]) ** 2, axis=2)
        new = np.argmin(d, axis=1)
        for c in range(k):
            if not np.any(new == c):
                far = int(np.argmax(d[np.arange(len(x)), new]))
                new[far] = c
        if np.array_equal(new, labels):
            break
        labels = new
        centres = np.stack([x[labels == c].mean(0) for c in range(k)])
    return labels


@dataclass(frozen=True)
class MovieLensInstance:
    model: CascadingModel
    item_ids: np.ndarray        # [N] movie id of each item
    segment_sizes: np.ndarray   # [S] users per state
    users: int


def movielens_model(path: str | Path, S: int = 20, N: int = 10, m: int = 3, H: int = 3,
                    item_ids=None, like_threshold: float = 4.0, drift: float = 0.5,
                    rating_scale: tuple[float, float] = (1.0, 5.0)) -> MovieLensInstance:
    """Build the cascading MDP of the module docstring from a ratings file."""
    for name, value in (("S", S), ("N", N), ("m", m), ("H", H)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    if m > N:
        raise ConfigError(f"list length m = {m} exceeds the number of items N = {N}; need m <= N")
    if not 0.0 <= drift <= 1.0:
        raise ConfigError(f"drift must be a probability in [0, 1], got {drift}")
    ratings = read_ratings(path, rating_scale)
    items = select_items(ratings, N, item_ids)
    lo, hi = rating_scale
    col = {int(a): j for j, a in enumerate(items)}
    keep = np.isin(ratings.item, items)
    users, user_idx = np.unique(ratings.user[keep], return_inverse=True)
    item_idx = np.asarray([col[int(a)] for a in ratings.item[keep]], np.int64)
    norm = (ratings.rating[keep] - lo) / (hi - lo)
    rated = np.zeros((len(users), N), bool)
    score = np.zeros((len(users), N))
    rated[user_idx, item_idx] = True
    score[user_idx, item_idx] = norm          # a repeated (user, item) keeps the last rating
    liked = rated & (score * (hi - lo) + lo >= like_threshold)
    profile = np.where(rated, 2.0 * score - 1.0, 0.0)
    first = np.argsort(-rated.sum(1), kind="stable")        # start k-means from the most active user
    labels = np.empty(len(users), np.int64)
    labels[first] = kmeans(profile[first], S)
    sizes = np.bincount(labels, minlength=S)
    relabel = np.empty(S, np.int64)
    relabel[np.argsort(-sizes, kind="stable")] = np.arange(S)
    labels = relabel[labels]
    sizes = np.bincount(labels, minlength=S)
    member = np.eye(S)[labels]                                  # [U, S]
    q = (member.T @ liked) / sizes[:, None]
    rated_in = member.T @ rated
    overall = (score * rated).sum(0) / np.maximum(rated.sum(0), 1)
    r = np.where(rated_in > 0, (member.T @ (score * rated)) / np.maximum(rated_in, 1), overall[None])
    fans = np.where(liked.any(0)[:, None], liked.T @ member, rated.T @ member)   # [N, S]
    nu = fans / fans.sum(1, keepdims=True)
    stay = np.eye(S)
    P = np.empty((S, N + 1, S))
    P[:, :N, :] = (1.0 - drift) * stay[:, None, :] + drift * nu[None, :, :]
    P[:, N, :] = stay
    model = make_cascading_model(np.clip(q, 0, 1), np.clip(r, 0, 1), P, H=H, m=m, s1=0)
    return MovieLensInstance(model, items, sizes, len(users))


def write_synthetic_ratings(path: str | Path, users: int = 600, items: int = 300, per_user: int = 60,
                            segments: int = 8, seed: int = 0) -> Path:
    """Write a MovieLens-style ``u.data`` file (tab-separated user, item, rating, timestamp) from a
    latent-segment model: each user belongs to one of ``segments`` taste segments, movies have a
    Zipf popularity and a per-segment appeal; ratings 1..5. Used when no real MovieLens file is
    at hand (this machine has no network); the loader treats it like ``u.data``."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(segments, size=users)
    appeal = rng.normal(0.0, 1.0, size=(segments, items))
    popularity = 1.0 / np.arange(1, items + 1) ** 0.8
    popularity = popularity / popularity.sum()
    rows = []
    t0 = 874_724_710
    for u in range(users):
        n = min(items, max(5, int(rng.poisson(per_user))))
        watched = rng.choice(items, size=n, replace=False, p=popularity)
        latent = appeal[segment[u], watched] + rng.normal(0.0, 0.7, size=n)
        stars = np.clip(np.round(3.2 + 1.1 * latent), 1, 5).astype(int)
        times = t0 + np.sort(rng.integers(0, 10_000_000, size=n))
        rows.extend(f"{u + 1}\t{a + 1}\t{s}\t{t}" for a, s, t in zip(watched, stars, times))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path
