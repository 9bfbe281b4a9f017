"""Checkpoints of arbitrary pytrees (runner states, metrics so far) as ``.npz`` of their leaves.

Restoring needs a target pytree of the same structure (e.g. a freshly initialised runner state);
leaves come back bit for bit, so a resumed run continues exactly where it stopped. Files are
written to a temporary name and renamed, so an interrupted save never leaves a torn checkpoint.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np


def save_pytree(path: str | Path, tree: Any, meta: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(jax.device_get(tree))]
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, *leaves, __meta__=np.asarray(json.dumps(meta or {})))
    os.replace(tmp, path)


def load_pytree(path: str | Path, target: Any) -> tuple[Any, dict]:
    """Load leaves saved by :func:`save_pytree` into the structure of ``target``."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        n = len([k for k in data.files if k.startswith("arr_")])
        leaves = [data[f"arr_{i}"] for i in range(n)]
    target_leaves, treedef = jax.tree_util.tree_flatten(target)
    if len(leaves) != len(target_leaves):
        raise ValueError(f"checkpoint {path} has {len(leaves)} arrays, the run state needs "
                         f"{len(target_leaves)}: it belongs to a different config")
    for i, (a, b) in enumerate(zip(leaves, target_leaves)):
        if a.shape != np.shape(b):
            raise ValueError(f"checkpoint {path}: array {i} has shape {a.shape}, the run state "
                             f"needs {np.shape(b)}: it belongs to a different config")
    return jax.tree_util.tree_unflatten(treedef, leaves), meta
