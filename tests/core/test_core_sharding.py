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
