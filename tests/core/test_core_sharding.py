"""A run sharded over 4 emulated CPU devices equals the unsharded run (in a subprocess, so that
the XLA flag is set before JAX starts)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from rlkit.testing import assert_same_run

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np, jax
    import rlkit
    from agents.ucbvi import UCBVIParams
    from envs.tabular import RandomMDPConfig
    from rlkit.batch import BatchedTrainer
    assert len(jax.devices()) == 4, jax.devices()
    cfg = rlkit.TrainConfig(num_iterations=30, rollout_len=3)
    hps = [UCBVIParams(bonus_scale=0.2), UCBVIParams(bonus_scale=0.5)]
    out = {}
    for name, devices in (("sharded", jax.devices()), ("single", jax.devices()[:1])):
        batch = BatchedTrainer(RandomMDPConfig(S=4, A=3, H=3), hps, cfg, seeds=4, devices=devices)
        runner, metrics = batch.run_chunk(batch.init(), 30)
        out[name] = {k: np.asarray(v).tolist() for k, v in metrics.items()}
        out[name + "_devices"] = len(metrics["regret"].sharding.device_set)
    print(json.dumps(out))
""")


def test_sharded_over_four_devices_equals_unsharded():
    env = dict(os.environ, WANDB_MODE="disabled", XLA_FLAGS="--xla_force_host_platform_device_count=4")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         cwd=root, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["sharded_devices"] == 4 and out["single_devices"] == 1
    assert_same_run(out["sharded"], out["single"])


COUPLED = textwrap.dedent("""
    import json, jax, jax.numpy as jnp
    import rlkit
    from rlkit.batch import BatchedTrainer, _has_batched_while
    from agents.ucbvi import UCBVIParams
    from envs.tabular import RandomMDPConfig
    from rlkit.registry import get_experiment

    def per_lane_loop(x):      # trip count depends on the lane
        return jax.lax.while_loop(lambda c: c[0] < c[1], lambda c: (c[0] + 1, c[1]), (0, x))[0]

    def fixed_loop(x):         # same trip count in every lane (negative control)
        return jax.lax.fori_loop(0, 5, lambda i, c: c + x, x)

    xs = jnp.arange(4)
    out = {"per_lane": _has_batched_while(jax.make_jaxpr(jax.vmap(per_lane_loop))(xs).jaxpr),
           "fixed": _has_batched_while(jax.make_jaxpr(jax.vmap(fixed_loop))(xs).jaxpr)}
    cfg = get_experiment("stepmix_paper").config()
    stepmix = BatchedTrainer(cfg.env, [cfg.agent], rlkit.TrainConfig(num_iterations=5, rollout_len=3), 4)
    ucbvi = BatchedTrainer(RandomMDPConfig(S=3, A=2, H=3), [UCBVIParams()], rlkit.TrainConfig(num_iterations=5, rollout_len=3), 4)
    out["stepmix_devices"] = len(stepmix.sharding.device_set)
    out["ucbvi_devices"] = len(ucbvi.sharding.device_set)
    print(json.dumps(out))
""")


def test_lane_coupled_programs_stay_on_one_cpu_device():
    """A vmapped while loop with per-lane trip counts (StepMix's rho search) would need a
    cross-device all-reduce per trip when sharded: BatchedTrainer keeps it on one CPU device and
    shards lane-independent programs (UCBVI) over the cores."""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    proc = subprocess.run([sys.executable, "-c", COUPLED], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["per_lane"] and not out["fixed"]
    assert out["stepmix_devices"] == 1 and out["ucbvi_devices"] == 2
