"""rlkit's CPU settings (:mod:`rlkit.cpu_tuning`): the unrolled threefry lowering is in effect and
draws the same bits as JAX's rolled default (computed in a subprocess that opts out)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np

import rlkit  # noqa: F401  (applies the settings)

DRAWS = textwrap.dedent("""
    import json, jax, jax.numpy as jnp
    import rlkit
    keys = jax.random.split(jax.random.PRNGKey(7), 64)
    f = jax.jit(lambda ks: (jax.vmap(lambda k: jax.random.bits(k, (3,), jnp.uint32))(ks),
                            jax.random.split(ks[0], 5), jax.random.uniform(ks[1], (4,))))
    bits, split, uniform = f(keys)
    text = jax.jit(lambda ks: jax.vmap(lambda k: jax.random.uniform(k))(ks)).lower(keys).compile().as_text()
    print(json.dumps({"bits": bits.tolist(), "split": split.tolist(), "uniform": uniform.tolist(),
                      "while_loops": text.count(" while(")}))
""")


def _draws(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", DRAWS], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_unrolled_threefry_draws_the_same_bits_without_a_loop():
    unrolled = _draws({})
    rolled = _draws({"RLKIT_ROLLED_THREEFRY": "1"})
    assert unrolled["while_loops"] == 0
    assert rolled["while_loops"] >= 1          # negative control: JAX's CPU default loops
    for name in ("bits", "split", "uniform"):
        np.testing.assert_array_equal(np.asarray(unrolled[name]), np.asarray(rolled[name]), err_msg=name)


def test_in_process_draws_use_the_unrolled_lowering():
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    text = jax.jit(lambda ks: jax.vmap(lambda k: jax.random.uniform(k))(ks)).lower(keys).compile().as_text()
    assert " while(" not in text
    assert jnp.all(jax.vmap(lambda k: jax.random.uniform(k))(keys) < 1.0)


def test_xla_flag_is_set():
    assert "--xla_cpu_enable_concurrency_optimized_scheduler=false" in os.environ.get("XLA_FLAGS", "")


def _devices(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "RLKIT_CPU_DEVICES")}
    if value is not None:
        env["RLKIT_CPU_DEVICES"] = value
    return subprocess.run([sys.executable, "-c", "import rlkit, jax; print(len(jax.devices()))"],
                          capture_output=True, text=True, env=env)


def test_one_cpu_device_per_core_unless_told_otherwise():
    from rlkit.cpu_tuning import usable_cores
    assert int(_devices(None).stdout.split()[-1]) == usable_cores()
    assert int(_devices("3").stdout.split()[-1]) == 3
    assert int(_devices("1").stdout.split()[-1]) == 1
    bad = _devices("two")
    assert bad.returncode != 0 and "RLKIT_CPU_DEVICES must be a positive integer" in bad.stderr
