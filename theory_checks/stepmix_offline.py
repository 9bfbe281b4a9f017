"""The offline-data variant (spec ``specs/stepmix.md`` §4, §11 test 16).

On I-A with behaviour policy ``pi^beta = 0.8 pi* + 0.2 U`` (the instance's baseline), ``c = 0.2``,
``alpha = 0.1``: datasets of ``N`` episodes are drawn from ``pi^beta``; too few episodes must be
refused with :class:`InsufficientData` before training, enough must be certified, and the online
runs against the certified threshold must never go below ``(1 - alpha) V^{pi^beta}`` (nor below
their own, higher, threshold ``gamma_up``). The union bound covers the offline and the online
episodes (``episodes_bound = N + K``).
"""
from __future__ import annotations

import jax
import numpy as np

from agents.conservative.offline import InsufficientData, certify_offline, offline_params
from rlkit.batch import seed_keys
from rlkit.checks import CheckRow, register
from rlkit.tabular.conservative import count_violations
from rlkit.tabular.datasets import EpisodeDataset, sample_episodes
from rlkit.tree import tree_stack
from theory_checks.stepmix_common import _env, fmt, memo, paper_instances, train_rows

ALPHA, BONUS, DELTA = 0.1, 0.2, 0.05
LABEL = {"stepmix": "StepMix", "epsmix": "EpsMix"}
MAX_EPISODES = 100_000


@memo
def datasets(instances: int, episodes: int) -> EpisodeDataset:
    """``episodes`` episodes of ``pi^beta`` on each of the first ``instances`` I-A instances
    (smaller datasets are prefixes of these)."""
    inst = paper_instances(instances)
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(2023), i))(np.arange(instances))
    sample = jax.jit(jax.vmap(sample_episodes, in_axes=(0, 0, 0, None)), static_argnums=3)
    return sample(keys, inst.params.model, inst.params.baseline, episodes)


def certify(instance: int, N: int, instances: int, online: int, largest: int,
            bonus_scale: float = BONUS):
    """The certificate of instance ``instance`` from its first ``N`` episodes, or the
    :class:`InsufficientData` error."""
    inst = paper_instances(instances)
    data = jax.tree_util.tree_map(lambda x: x[instance, :N], datasets(instances, largest))
    model = jax.tree_util.tree_map(lambda x: x[instance], inst.params.model)
    try:
        return certify_offline(data, model.r, model.mu, ALPHA, DELTA, bonus_scale,
                               episodes_bound=float(N + online))
    except InsufficientData as err:
        return err


@memo
def offline_run(algorithm: str, instances: int, keys_per_instance: int, N: int, K: int,
                largest: int):
    """The online phase on every instance x key; returns (metrics, true thresholds)."""
    inst = paper_instances(instances)
    certs = [certify(i, N, instances, K, largest) for i in range(instances)]
    for c in certs:
        if isinstance(c, Exception):
            raise c
    rows = [(i, j) for i in range(instances) for j in range(keys_per_instance)]
    hps = [offline_params(certs[i], algorithm) for i, _ in rows]
    params = tree_stack([jax.tree_util.tree_map(lambda x: x[i], inst.params) for i, _ in rows])
    keys = seed_keys(1, keys_per_instance)[np.asarray([j for _, j in rows])]
    metrics = train_rows(_env(), keys, hps, params, K)
    true_threshold = (1.0 - ALPHA) * inst.baseline[np.asarray([i for i, _ in rows])]
    return metrics, true_threshold


@register("stepmix", "offline")
def offline(full: bool, online: bool = True) -> list[CheckRow]:
    """Too little data is refused before training; enough is certified and stays safe online."""
    instances, keys, K = (3, 8, 4000) if full else (3, 4, 2000)
    big = MAX_EPISODES if full else 10_000
    sizes_refused = (100, 1000)
    rows = []
    for N in sizes_refused:
        results = [certify(i, N, instances, K, big) for i in range(instances)]
        refused = [isinstance(r, InsufficientData) for r in results]
        rows.append(CheckRow("refuse too little data", f"I-A, N={N}, {instances} instances",
                             "InsufficientData on every instance", f"refused {sum(refused)}/{instances}",
                             all(refused)))
    # control: without the model bonus (c = 0) the cloned baseline's "bound" is a plug-in
    # estimate, and the same too-small dataset is not refused
    plug_in = [certify(i, 1000, instances, K, big, bonus_scale=0.0) for i in range(instances)]
    refused = [isinstance(r, InsufficientData) for r in plug_in]
    rows.append(CheckRow("refuse too little data", f"I-A, N=1000, {instances} instances, c=0 (no bonus)",
                         "InsufficientData on every instance", f"refused {sum(refused)}/{instances}",
                         all(refused), expect=False))
    sizes_ok = (10_000, MAX_EPISODES) if full else (10_000,)
    algorithms = ("stepmix", "epsmix")
    for N in sizes_ok:
        results = [certify(i, N, instances, K, big) for i in range(instances)]
        ok = [not isinstance(r, Exception) for r in results]
        margin = [float(r.lower_bound - r.threshold) for r in results if not isinstance(r, Exception)]
        rows.append(CheckRow("certify enough data", f"I-A, N={N}, {instances} instances",
                             "certified on every instance (LB_0 >= gamma_up)",
                             f"certified {sum(ok)}/{instances}, margins {fmt(np.asarray(margin), 3)}",
                             all(ok)))
        if not all(ok) or not online:
            continue
        for algorithm in algorithms:
            metrics, true_threshold = offline_run(algorithm, instances, keys, N, K, big)
            own = count_violations(metrics["value"], metrics["threshold"][:, 0])
            true = count_violations(metrics["value"], true_threshold)
            rows.append(CheckRow("zero violations (offline)",
                                 f"I-A, N={N}, {instances} inst. x {keys} seeds x {K} ep.",
                                 "0 below (1-alpha)V^beta and 0 below gamma_up",
                                 f"Offline{LABEL[algorithm]}: {int(true.sum())} / {int(own.sum())}",
                                 int(true.sum()) == 0 and int(own.sum()) == 0))
    return rows
