"""Episode-wise safety of StepMix and EpsMix (spec ``specs/stepmix.md`` §11 tests 9-11).

The guarantee: with probability ``>= 1 - delta``, ``V^{pi_k}_1(s_1) >= (1 - alpha) V^b`` in every
episode. Measured on exact float64 expected values with the 1e-9 tolerance (spec §8, §10b), never
on realised returns. Negative control: unconstrained UCBVI, trained the same way and judged
against the same threshold, must violate it (spec test 11: in at least 8 of 10 seeds).
"""
from __future__ import annotations

import numpy as np

from rlkit.checks import CheckRow, register

LABEL = {"stepmix": "StepMix", "epsmix": "EpsMix", "ucbvi": "UCBVI"}
from theory_checks.stepmix_common import (MAIN_ROWS, THEORY_ROWS, batch_run, fmt, prefetch_fast,
                                          rows_of)


def _zero_rows(label: str, instance: str, runs: dict, control: str) -> list[CheckRow]:
    rows = []
    for name, run in runs.items():
        v = run.violations
        rows.append(CheckRow(f"zero violations ({label})", instance, "0 episodes below (1-alpha)V^b, every seed",
                             f"{LABEL[name]}: {fmt(v)}", bool(np.all(v == 0)), expect=name != control))
    return rows


@register("stepmix", "zero_violations")
def zero_violations(full: bool) -> list[CheckRow]:
    """StepMix and EpsMix never go below (1-alpha)V^b; unconstrained UCBVI does."""
    if not full:
        prefetch_fast()
    names = ("stepmix", "epsmix", "ucbvi")
    rows_p, K = (rows_of("I-A", 20), 20000) if full else (MAIN_ROWS, 4000)
    practical = {n: batch_run(n, rows_p, K) for n in names}
    inst = f"I-A, c=0.2, alpha=0.1, {len(rows_p)} seeds x {K} ep."
    rows = _zero_rows("practical scale", inst, practical, control="ucbvi")
    ucb = practical["ucbvi"].violations
    rows.append(CheckRow("control detects violations", inst, "UCBVI violates in >= 80% of seeds",
                         f"{int(np.sum(ucb > 0))}/{len(ucb)} seeds, min {int(ucb.min())}",
                         bool(np.mean(ucb > 0) >= 0.8)))
    if full:
        rows_t, K_t = rows_of("I-A", 20, bonus_scale=1.0, delta=0.01), 10000
    else:
        rows_t, K_t = THEORY_ROWS, 2000
    theory = {n: batch_run(n, rows_t, K_t) for n in names}
    inst_t = f"I-A, c=1 (valid bound), delta=0.01, {len(rows_t)} seeds x {K_t} ep."
    rows += _zero_rows("theory scale", inst_t, theory, control="ucbvi")
    return rows
