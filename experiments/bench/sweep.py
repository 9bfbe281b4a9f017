"""Sweep benchmark (issue 10): 64 trials of a hyper-parameter sweep (UCBVI's bonus scale on the
StepMix paper's random MDPs, 4 seeds x 2000 episodes each) trained as one vmapped batch, against
the same 64 trials run one by one through the same (already compiled) trainer, in the same
process. Compile time is excluded from both (each path is warmed up first); each reports its
best of three runs. Batches are sharded over ``jax.devices()`` (one CPU device per core, as
``import rlkit`` sets up). Target: >= 5x.
"""
from __future__ import annotations

import argparse

import numpy as np

import rlkit
from agents.ucbvi import UCBVIParams
from envs.tabular import RandomMDPConfig
from experiments.bench._common import header, result_line, timed
from rlkit.batch import BatchedTrainer

TARGET = 5.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    trials, seeds, K = (8, 2, 200) if args.quick else (64, 4, 2000)
    header("sweep")
    env_cfg = RandomMDPConfig(S=5, A=5, H=3)
    cfg = rlkit.TrainConfig(num_iterations=K, rollout_len=3)
    hps = [UCBVIParams(bonus_scale=float(c)) for c in np.geomspace(0.01, 2.0, trials)]

    batched = BatchedTrainer(env_cfg, hps, cfg, seeds)
    run_batched = lambda: batched.run_chunk(batched.init(), K)[1]["regret"]  # noqa: E731
    timed(run_batched)                                                       # compile
    t_batched, regret = timed(run_batched, repeats=3)

    singles = [BatchedTrainer(env_cfg, [hp], cfg, seeds) for hp in hps]
    timed(lambda: singles[0].run_chunk(singles[0].init(), K)[1]["regret"])  # compile (shared by all)
    t_seq, seq = timed(lambda: [b.run_chunk(b.init(), K)[1]["regret"] for b in singles], repeats=3)

    # exact float64 values may differ in the last bits between batch sizes (XLA vectorises the
    # reductions differently); trajectories are bit-identical (tests/core/test_core_sweep.py)
    same = all(np.allclose(np.asarray(regret)[i * seeds:(i + 1) * seeds], np.asarray(s), rtol=0, atol=1e-12)
               for i, s in enumerate(seq))
    print(f"{trials} trials x {seeds} seeds x {K} episodes (UCBVI, S=A=5, H=3)")
    print(f"  one vmapped batch   {t_batched:8.3f} s")
    print(f"  one by one          {t_seq:8.3f} s")
    print(f"  speed-up            {t_seq / t_batched:8.1f}x   (same metrics within 1e-12: {same})")
    print(result_line("sweep", {"batched_vs_sequential": t_seq / t_batched},
                      {"batched_vs_sequential": TARGET}, {"same_metrics": same}))


if __name__ == "__main__":
    main()
