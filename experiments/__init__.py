"""Runnable experiments: each module defines ``config() -> rlkit.ExperimentConfig`` (and may define
``report(result)`` for extra tables and plots, or ``main(cfg, **kw)`` for a custom driver).
Sweep files in wandb's YAML format live in ``experiments/sweeps/``; benchmarks in
``experiments/bench/`` (run as ``python -m experiments.bench.<name>``).
"""
