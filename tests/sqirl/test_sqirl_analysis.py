"""The exact effective-horizon analysis against the upstream reference JSON and known answers
(sqirl spec §7.2-§7.6, §7.4b)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import envs.bridge as bridge
from theory_checks import sqirl as checks
from theory_checks import sqirl_reference as reference
from theory_checks.effective_horizon import analyze, gorp_sample_complexity

NAMES = ("freeway_10_fs30", "maze_easy_l0_30_fs1")
# V*, V^rand, V^worst of the deterministic MDPs (not in the JSON; spec §6.3)
DETERMINISTIC_RETURNS = {"freeway_10_fs30": (1.0, 0.009026401801893343, 0.0),
                         "maze_easy_l0_30_fs1": (10.0, 6.095543214701177, 0.0)}


@pytest.fixture(scope="module")
def fixtures(request):
    from pathlib import Path
    root = Path(request.config.rootpath) / "tests" / "fixtures" / "bridge"
    if not root.is_dir():
        pytest.skip(f"BRIDGE fixtures not found at {root}")
    out = {}
    for name in NAMES:
        folder = root / name
        mdp = bridge.load_bridge(folder / "mdp.npz")
        out[name] = {
            "mdp": mdp,
            "analyzed": json.loads((folder / "analyzed.json").read_text()),
            "sticky": json.loads((folder / "analyzed_sticky_0.25.json").read_text()),
            "gorp": json.loads((folder / "gorp_bounds.json").read_text()),
        }
    return out


@pytest.fixture(scope="module")
def analyses(fixtures):
    return {(name, p): analyze(bridge.bridge_params(f["mdp"], p).model, sticky=p > 0)
            for name, f in fixtures.items() for p in (0.0, 0.25)}


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_analysis_reproduces_reference(fixtures, analyses, name):
    out = analyses[(name, 0.0)]
    expected = fixtures[name]["analyzed"]
    assert checks.compare(out, expected) == []
    assert set(out) - {"extra"} == set(expected)
    # integers exactly, including the tie-sensitive ms of the simple bound
    assert out["effective_horizon_results"]["ms"] == expected["effective_horizon_results"]["ms"]
    v_star, v_rand, v_worst = DETERMINISTIC_RETURNS[name]
    extra = out["extra"]
    assert abs(extra["optimal_return"] - v_star) < 1e-8
    assert abs(extra["random_return"] - v_rand) < 1e-8
    assert abs(extra["worst_return"] - v_worst) < 1e-8


@pytest.mark.parametrize("name", NAMES)
def test_sticky_analysis_reproduces_reference(fixtures, analyses, name):
    out = analyses[(name, 0.25)]
    expected = fixtures[name]["sticky"]
    assert checks.compare(out, expected) == []
    assert set(out) - {"extra"} == set(expected)


def test_compare_has_teeth(fixtures, analyses):
    """The comparison fails on a perturbed value, a wrong integer and a null/number mismatch."""
    out = json.loads(json.dumps(analyses[("freeway_10_fs30", 0.0)]))
    expected = fixtures["freeway_10_fs30"]["analyzed"]
    out["effective_horizon_results"]["vars"][0] += 1e-6
    out["effective_horizon_results"]["ms"][2] += 1
    out["effective_horizon_results"]["gaps"][-1] = 1.0
    assert len(checks.compare(out, expected)) == 3


@pytest.mark.parametrize("name", NAMES)
def test_jax_matches_numpy_reference(fixtures, analyses, name):
    ref = reference.analyze(reference.model_arrays(bridge.bridge_params(fixtures[name]["mdp"], 0.0).model), False)
    out = analyses[(name, 0.0)]
    assert checks.compare(out, {k: ref[k] for k in out if k != "extra"}) == []


def test_gorp_bounds_consistency(fixtures):
    for name, f in fixtures.items():
        bounds = f["gorp"]
        mdp = f["mdp"]
        assert checks.gorp_bounds_consistent(bounds, mdp.horizon, mdp.num_actions) == []
        for key, res in bounds["k_results"].items():
            m = res["sample_complexity"] // (mdp.num_actions ** int(key) * mdp.horizon ** 2)
            assert gorp_sample_complexity(mdp.horizon, mdp.num_actions, int(key), m) == res["sample_complexity"]
    ms = {name: [f["gorp"]["k_results"][k]["sample_complexity"] // (f["mdp"].num_actions ** int(k) * f["mdp"].horizon ** 2)
                 for k in sorted(f["gorp"]["k_results"])] for name, f in fixtures.items()}
    assert ms == {"freeway_10_fs30": [37, 61], "maze_easy_l0_30_fs1": [2]}
    broken = json.loads(json.dumps(fixtures["freeway_10_fs30"]["gorp"]))
    broken["k_results"]["1"]["sample_complexity"] += 1
    assert checks.gorp_bounds_consistent(broken, 10, 3)


def test_lock_min_k_and_epw():
    rows = checks.lock_min_k(full=False)
    assert len(rows) == checks.FAST_LOCKS and all(row.ok for row in rows), [r for r in rows if not r.ok]
    out = analyze(bridge.bridge_params(bridge.lock(4, 2, 0.3), 0.0).model)
    assert out["effective_horizon_results"]["ks"] == [3] and out["effective_horizon_results"]["ms"] == [832]
    sticky = reference.analyze(reference.model_arrays(bridge.bridge_params(bridge.lock(4, 2, 0.3), 0.25).model), True)
    assert sticky["greedy_returns"][:4] == pytest.approx([0.3, 1.0, 1.0, 1.0], abs=1e-6)


@pytest.mark.slow
def test_lock_min_k_full_and_sticky_jitted():
    """The full check (all five locks, sticky rows with the jitted analysis) and the jitted
    sticky lock analysis against the numpy reference."""
    rows = checks.lock_min_k(full=True)
    assert len(rows) == 8 and all(row.ok for row in rows), [r for r in rows if not r.ok]
    sticky = analyze(bridge.bridge_params(bridge.lock(4, 2, 0.3), 0.25).model)
    assert sticky["greedy_returns"][:4] == pytest.approx([0.3, 1.0, 1.0, 1.0], abs=1e-6)
    model = bridge.bridge_params(bridge.lock(4, 2, 0.2), 0.25).model
    ref = reference.analyze(reference.model_arrays(model), True)
    out = analyze(model, sticky=True)
    assert checks.compare(out, {k: ref[k] for k in out if k != "extra"}) == []


@pytest.mark.parametrize("lock", checks.LOCKS, ids=str)
def test_lock_min_k_numpy_reference(lock):
    """Every lock of spec §7.6 (deterministic and sticky) with the numpy reference analysis."""
    (d, A, c), det_k, sticky_k = lock
    assert bridge.lock_min_k(d, A, c) == det_k
    out = reference.analyze(reference.model_arrays(bridge.bridge_params(bridge.lock(d, A, c), 0.0).model), False)
    assert out["min_k"] == det_k and out["epw"] == d and out["effective_horizon"] == d
    if sticky_k is not None:
        out = reference.analyze(reference.model_arrays(bridge.bridge_params(bridge.lock(d, A, c), 0.25).model), True)
        assert out["min_k"] == sticky_k


def test_lock_analysis_matches_numpy_reference():
    """Deterministic (the sticky lock analysis is compared in the slow test above; the jitted
    sticky analysis is checked against the fixtures' reference JSON in the default suite)."""
    model = bridge.bridge_params(bridge.lock(4, 2, 0.2), 0.0).model
    out = analyze(model, sticky=False)
    ref = reference.analyze(reference.model_arrays(model), False)
    assert checks.compare(out, {k: ref[k] for k in out if k != "extra"}) == []


def test_exact_analysis_check_rows(analyses):
    rows = checks.exact_analysis(full=False)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    assert any(not row.expect for row in rows)   # the built-in negative control


def test_analyze_mdp_command(tmp_path, fixtures, capsys):
    from rlkit.cli import main
    source = bridge.fixture_path("freeway_10_fs30")
    out = tmp_path / "out.json"
    assert main(["analyze-mdp", str(source), "--sticky", "0.25", "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert checks.compare(written, fixtures["freeway_10_fs30"]["sticky"]) == []
    assert set(written) == set(fixtures["freeway_10_fs30"]["sticky"])
    assert "min_k: 1" in capsys.readouterr().out
    assert main(["analyze-mdp", str(source), "--horizon", "0"]) == 2


@pytest.mark.parametrize("name", NAMES)
def test_value_dists_mean_is_random_return(fixtures, analyses, name):
    """Spec §7.2: sum p v of ``value_dists_1.npy`` at state 0 equals V^rand, when available."""
    path = bridge.fixture_path(name).parent / "analyzed_value_dists_1.npy"
    if not path.exists():
        pytest.skip("value_dists_*.npy are not shipped with the fixtures (spec §6.2)")
    dist = np.load(path)
    assert abs(float(dist[0, :, 0] @ dist[1, :, 0]) - analyses[(name, 0.0)]["extra"]["random_return"]) < 1e-8


def test_simple_bound_tie_fails_k():
    """A suboptimal action exactly tied with the best Q^k at a reachable state makes k fail.

    lock(4, 2, 1/8): Q^1(root) = (2^-3, 1/8), a tie between the optimal a0 and the decoy a1, so
    k = 1 fails (min_k and the simple bound); Q^2(root, a0) = 1/4 > 1/8 makes k = 2 succeed."""
    out = analyze(bridge.bridge_params(bridge.lock(4, 2, 0.125), 0.0).model)
    assert out["min_k"] == 2
    assert out["effective_horizon_results"]["ks"][0] == 2
    ref = reference.analyze(reference.model_arrays(bridge.lock(4, 2, 0.125).model()), False)
    assert checks.compare(out, {k: ref[k] for k in out if k != "extra"}) == []
