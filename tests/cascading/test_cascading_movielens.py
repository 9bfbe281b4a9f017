"""The MovieLens-format loader: construction of states, q, p, r (spec §5.4) and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from envs.cascading import MovieLensCascadingConfig, movielens_model, read_ratings, write_synthetic_ratings
from rlkit.config import ConfigError

# Users 1-3 love movies 10 and 20 and dislike 30; users 4-6 the opposite; user 7 only rated 40.
ROWS = [
    (1, 10, 5), (1, 20, 5), (1, 30, 1),
    (2, 10, 5), (2, 20, 4), (2, 30, 2),
    (3, 10, 4), (3, 20, 5), (3, 30, 1),
    (4, 10, 1), (4, 20, 2), (4, 30, 5),
    (5, 10, 2), (5, 20, 1), (5, 30, 5),
    (6, 10, 1), (6, 20, 1), (6, 30, 5),
    (7, 40, 3),
]


def write_udata(path, rows=ROWS):
    path.write_text("".join(f"{u}\t{i}\t{r}\t{881250949 + k}\n" for k, (u, i, r) in enumerate(rows)))
    return path


@pytest.fixture
def udata(tmp_path):
    return write_udata(tmp_path / "u.data")


def test_construction_of_states_q_p_r(udata):
    inst = movielens_model(udata, S=2, N=3, m=2, H=3, drift=0.5)
    model = inst.model
    np.testing.assert_array_equal(inst.item_ids, [10, 20, 30])        # the 3 most-rated movies
    assert inst.users == 6 and sorted(inst.segment_sizes.tolist()) == [3, 3]
    q, r, P = (np.asarray(x) for x in (model.q, model.r, model.P))
    fans = int(np.argmax(q[:, 0]))                                      # the segment of users 1-3
    other = 1 - fans
    np.testing.assert_allclose(q[fans], [1.0, 1.0, 0.0])              # rated >= 4
    np.testing.assert_allclose(q[other], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(r[fans], [(4 + 4 + 3) / 12, (4 + 3 + 4) / 12, (0 + 1 + 0) / 12])
    np.testing.assert_allclose(r[other], [(0 + 1 + 0) / 12, (1 + 0 + 0) / 12, 1.0])
    # watching movie 10 pulls a user half-way to the segment of its fans; no click: stay
    np.testing.assert_allclose(P[other, 0], np.eye(2)[other] * 0.5 + np.eye(2)[fans] * 0.5)
    np.testing.assert_allclose(P[fans, 0], np.eye(2)[fans])
    np.testing.assert_allclose(P[:, 3], np.eye(2))
    np.testing.assert_allclose(P.sum(-1), 1.0)
    assert float(model.mu[0]) == 1.0 and model.H == 3 and model.m == 2
    assert float(model.optimal_value()) > 0


def test_csv_with_header_gives_the_same_model(tmp_path, udata):
    csv = tmp_path / "ratings.csv"
    csv.write_text("userId,movieId,rating,timestamp\n" +
                   "".join(f"{u},{i},{r}.0,{881250949 + k}\n" for k, (u, i, r) in enumerate(ROWS)))
    a = movielens_model(udata, S=2, N=3, m=2, H=2).model
    b = movielens_model(csv, S=2, N=3, m=2, H=2).model
    for x, y in ((a.q, b.q), (a.r, b.r), (a.P, b.P)):
        np.testing.assert_allclose(x, y)


def test_explicit_item_ids_and_determinism(udata):
    a = movielens_model(udata, S=2, N=2, m=1, H=2, item_ids=[30, 10])
    b = movielens_model(udata, S=2, N=2, m=1, H=2, item_ids=[30, 10])
    np.testing.assert_array_equal(a.item_ids, [30, 10])
    np.testing.assert_array_equal(a.model.q, b.model.q)


def test_synthetic_movielens_file_loads(tmp_path):
    path = write_synthetic_ratings(tmp_path / "syn.data", users=120, items=40, per_user=15, seed=1)
    ratings = read_ratings(path)
    assert len(ratings.user) > 1000 and set(np.unique(ratings.rating)) <= {1, 2, 3, 4, 5}
    inst = movielens_model(path, S=5, N=10, m=3, H=3)
    assert inst.model.q.shape == (5, 10) and inst.segment_sizes.sum() == inst.users


@pytest.mark.parametrize("content,kwargs,match", [
    ("1\t10\t5\t881250949\n2\t10\t4\n", {}, r"line 2: 3 column\(s\), missing timestamp"),
    ("userId,movieId,timestamp\n1,10,881250949\n", {}, "no 'rating' column"),
    ("u1\t10\t5\t881250949\n", {}, "user id 'u1' is not a non-negative integer"),
    ("1\t10\t7\t881250949\n", {}, r"rating 7 is outside the rating scale \[1, 5\]"),
    ("", {}, "is empty"),
])
def test_malformed_file_raises(tmp_path, content, kwargs, match):
    path = tmp_path / "bad.data"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        movielens_model(path, S=1, N=1, m=1, H=1, **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"item_ids": [10, 99, 20]}, r"item_ids \[99\] do not occur in the ratings file"),
    ({"N": 10}, "N = 10 items requested but the ratings file has only 4"),
    ({"S": 7}, "6 distinct user profiles, fewer than S = 7"),
    ({"m": 4}, "m = 4 exceeds the number of items N = 3"),
    ({"drift": 1.5}, r"drift must be a probability in \[0, 1\]"),
])
def test_bad_arguments_raise(udata, kwargs, match):
    args = {"S": 2, "N": 3, "m": 2, "H": 2}
    args.update(kwargs)
    if "item_ids" in kwargs:
        args["N"] = 3
    with pytest.raises(ConfigError, match=match):
        movielens_model(udata, **args)


def test_missing_file_and_config_validation(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_ratings(tmp_path / "nope.data")
    with pytest.raises(ConfigError, match="does not exist"):
        MovieLensCascadingConfig(path=str(tmp_path / "nope.data"), S=2, N=3).validate()
    with pytest.raises(ConfigError, match="m = 4 exceeds"):
        MovieLensCascadingConfig(path=str(write_udata(tmp_path / "u.data")), S=2, N=3, m=4).validate()
