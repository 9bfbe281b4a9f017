"""``rlkit analyze-mdp FILE.npz --horizon H [--sticky P]``: the exact effective-horizon analysis of
any BRIDGE-format MDP (upstream ``analyze_mdp.jl`` / ``analyze_sticky_actions.jl``).

Prints the results and writes them as JSON with the upstream keys (``<name>_analyzed.json``, or
``<name>_analyzed_sticky_<p>.json`` with ``--sticky``; ``--out`` chooses the path). rlkit's extra
quantities (V*, V^rand, GORP sample complexities of the simple bound, the experimental
stochastic effective horizon) are printed, and written under ``extra`` with ``--extra``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rlkit.config import ConfigError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rlkit analyze-mdp",
                                description="Exact effective-horizon analysis of a BRIDGE MDP (.npz).")
    p.add_argument("file", help="BRIDGE .npz with 'transitions' int [S, A] (-1 = terminal) and 'rewards'")
    p.add_argument("--horizon", type=int, default=None,
                   help="horizon H (default: from the name, e.g. freeway_10_fs30 -> 10)")
    p.add_argument("--sticky", type=float, default=0.0,
                   help="sticky-action probability p (0 = the deterministic analysis; P2 uses 0.25)")
    p.add_argument("--out", default=None, help="output JSON path")
    p.add_argument("--extra", action="store_true", help="also write rlkit's extra quantities")
    return p


def _format(results: dict) -> str:
    lines = []
    for key, value in results.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def cli(argv: list[str]) -> int:
    """Entry point of the plug-in command (``[project.entry-points."rlkit.commands"]``)."""
    args = _parser().parse_args(argv)
    if not 0.0 <= args.sticky < 1.0:
        raise ConfigError(f"--sticky must be a probability in [0, 1), got {args.sticky}")
    if args.horizon is not None and args.horizon < 1:
        raise ConfigError(f"--horizon must be >= 1, got {args.horizon}")
    from envs.bridge import bridge_params, load_bridge
    from theory_checks.effective_horizon import analyze

    mdp = load_bridge(args.file, args.horizon)
    model = bridge_params(mdp, args.sticky).model
    t0 = time.perf_counter()
    results = analyze(model, sticky=args.sticky > 0)
    seconds = time.perf_counter() - t0
    extra = results.pop("extra")
    suffix = f"_analyzed_sticky_{args.sticky:g}.json" if args.sticky > 0 else "_analyzed.json"
    out = Path(args.out) if args.out else Path(f"{mdp.name}{suffix}")
    print(f"{mdp.name}: S={mdp.num_states} (with terminal), A={mdp.num_actions}, H={mdp.horizon}, "
          f"sticky p={args.sticky:g}; analysed in {seconds:.2f} s")
    print(_format(results))
    print(_format({"extra": extra}))
    payload = dict(results, extra=extra) if args.extra else results
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")
    return 0
