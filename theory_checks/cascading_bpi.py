"""Cascading RL: best policy identification as a check (spec T11).

CascadingBPI (spec §4, a [design] reconstruction) stops when its optimistic-pessimistic gap at
``s_1`` is at most ``epsilon`` and outputs the current policy; the guarantee (Theorem 2 [paper],
``O~(H^3 S N / eps^2)`` episodes) is that this policy is epsilon-optimal with probability at least
``1 - delta``. Measured on exact values: the output policy's suboptimality ``V* - V^pi``.

Runs are batched over seeds and epsilons (one compiled program) and advanced in chunks until
every run has stopped or the episode cap is hit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from agents.cascading import CascadingBPIParams
from rlkit import TrainConfig
from rlkit.batch import BatchedTrainer
from rlkit.checks import CheckRow, register
from theory_checks.cascading_runs import BPI_INSTANCE

CAP = 200_000
CHUNK = 2_000


def run_bpi(env_cfg, hps: Sequence[CascadingBPIParams], seeds: int, cap: int = CAP,
            chunk: int = CHUNK) -> list[dict[str, np.ndarray]]:
    """Run each BPI trial for ``seeds`` seeds until all stop (or ``cap`` episodes); per trial:
    ``stopped``, ``stop_episode`` and the output policy's ``suboptimality`` (``[seeds]``)."""
    batch = BatchedTrainer(env_cfg, list(hps), TrainConfig(num_iterations=cap, rollout_len=env_cfg.H), seeds)
    runner = batch.init()
    done = 0
    while done < cap:
        runner, metrics = batch.run_chunk(batch.place(runner), min(chunk, cap - done))
        done += min(chunk, cap - done)
        last = {k: np.asarray(v)[:, -1] for k, v in metrics.items()}
        if np.all(last["stopped"] > 0):
            break
    out = []
    for t in range(len(hps)):
        sl = slice(t * seeds, (t + 1) * seeds)
        out.append({"stopped": last["stopped"][sl] > 0, "stop_episode": last["stop_episode"][sl],
                    "suboptimality": last["regret"][sl]})
    return out


@register("cascading", "bpi")
def check_bpi(full: bool) -> list[CheckRow]:
    """CascadingBPI returns an epsilon-optimal policy within its budget (spec T11)."""
    epsilons = (0.2, 0.1, 0.05) if full else (0.4, 0.2)
    seeds = 20 if full else 10
    delta = 0.1
    hps = [CascadingBPIParams(epsilon=e, delta=delta) for e in epsilons]
    control = CascadingBPIParams(epsilon=epsilons[-1], delta=delta, bonus_scale=0.0)
    results = run_bpi(BPI_INSTANCE, hps + [control], seeds)
    inst = f"S=2, N=3, m=2, H=2, delta={delta}, {seeds} seeds, cap {CAP} episodes"
    rows, means = [], []
    for eps, res in zip(epsilons, results):
        good = float(np.mean(res["suboptimality"] <= eps))
        means.append(float(res["stop_episode"].mean()))
        ok = bool(np.all(res["stopped"])) and good >= 0.9
        rows.append(CheckRow(f"T11 eps={eps}: output eps-optimal, stopped under the cap", inst,
                             ">= 90% of runs, all stopped",
                             f"{100 * good:.0f}%, stop at {means[-1]:.0f} episodes (mean), "
                             f"max gap {res['suboptimality'].max():.3f}", ok))
    monotone = bool(np.all(np.diff(means) >= 0))
    rows.append(CheckRow("T11 mean stopping time nonincreasing in eps", inst,
                         f"eps {epsilons}: nondecreasing episodes", ", ".join(f"{m:.0f}" for m in means),
                         monotone))
    res = results[-1]
    good = float(np.mean(res["suboptimality"] <= epsilons[-1]))
    rows.append(CheckRow(f"control: no confidence bonus (c=0), eps={epsilons[-1]}", inst,
                         ">= 90% of runs eps-optimal",
                         f"{100 * good:.0f}%, stop at {res['stop_episode'].mean():.0f} episodes",
                         bool(np.all(res["stopped"])) and good >= 0.9, expect=False))
    return rows
