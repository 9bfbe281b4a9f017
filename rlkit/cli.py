"""The ``rlkit`` command line: ``run``, ``list``, ``verify`` (and plug-in subcommands).

Every command validates its input before any compile and exits with status 2 and a message naming
the problem on bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from rlkit.config import ConfigError, parse_assignments


def _parser(extra: list[str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rlkit", description="rlkit: RL research in JAX")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a registered experiment")
    r.add_argument("name", nargs="?", help="experiment name (see `rlkit list`)")
    r.add_argument("assignments", nargs="*", metavar="KEY=VALUE",
                   help="dotted overrides as positional words (what `wandb agent` passes with "
                        "${args_no_hyphens})")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="dotted override, e.g. --set agent.bonus_scale=0.5 (repeatable)")
    r.add_argument("--seeds", type=int, help="shorthand for --set run.seeds=N")
    r.add_argument("--out", help="shorthand for --set run.out_dir=DIR")
    r.add_argument("--resume", metavar="RUN_DIR",
                   help="continue an interrupted run from its last checkpoint")
    r.add_argument("--no-wandb", action="store_true", help="shorthand for --set run.wandb_mode=disabled")
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--show-config", action="store_true", help="print the resolved config and exit")

    sub.add_parser("list", help="list experiments and theory checks")

    v = sub.add_parser("verify", help="run the theory checks and print a table")
    v.add_argument("family", nargs="?", help="core, stepmix, lsd, cascading, sqirl, ridesharing, economist")
    v.add_argument("--full", action="store_true", help="paper-scale versions of the checks")

    s = sub.add_parser("sweep", help="run a wandb sweep YAML locally (no server needed)")
    s.add_argument("file")
    s.add_argument("--count", type=int, default=None, help="maximum number of trials")
    s.add_argument("--batch", type=int, default=8, help="trials proposed (and vmapped) at once")
    s.add_argument("--seed", type=int, default=0, help="seed of the sweep's proposals")
    s.add_argument("--out", default=None, help="sweep folder (default runs/sweeps/<name>)")
    s.add_argument("--quiet", action="store_true")

    for name in extra:
        sub.add_parser(name, help=f"plug-in command {name!r}", add_help=False)
    return p


def cmd_run(args) -> int:
    import rlkit
    from rlkit.registry import get_experiment

    overrides = parse_assignments(list(args.assignments) + list(args.overrides))
    wandb_run = None
    if os.environ.get("WANDB_SWEEP_ID"):
        # launched by `wandb agent`: join the sweep's run and read its parameters
        import wandb

        from rlkit.sweep import overrides_from_wandb_config
        wandb_run = wandb.init()
        overrides = {**overrides_from_wandb_config(dict(wandb_run.config)), **overrides}
    resume = None
    name = args.name
    if args.resume:
        resume = Path(args.resume)
        meta_path = resume / "run.json"
        if not meta_path.exists():
            raise ConfigError(f"--resume {resume}: no run.json there (not an rlkit run folder)")
        meta = json.loads(meta_path.read_text())
        name = name or meta.get("experiment")
        overrides = {**meta.get("overrides", {}), **overrides}
    if not name:
        raise ConfigError("rlkit run needs an experiment name (see `rlkit list`)")
    if args.seeds is not None:
        overrides["run.seeds"] = args.seeds
    if args.out is not None:
        overrides["run.out_dir"] = args.out
    if args.no_wandb:
        overrides["run.wandb_mode"] = "disabled"
    experiment = get_experiment(name)
    cfg = rlkit.apply_overrides(experiment.config(), overrides)
    if args.show_config:
        from rlkit.config import dumps
        print(dumps(cfg))
        return 0
    if experiment.main is not None:
        # a driver returns an exit code, or the run's summary (logged to a wandb agent's run)
        result = experiment.main(cfg, overrides=overrides, resume=resume, quiet=args.quiet)
        if wandb_run is not None:
            if isinstance(result, Mapping):
                wandb_run.log(dict(result))
                wandb_run.summary.update(dict(result))
            wandb_run.finish()
        return 0 if isinstance(result, Mapping) else int(result or 0)
    rlkit.run(cfg, overrides=overrides, report=None if wandb_run else experiment.report,
              resume=resume, quiet=args.quiet, experiment=name, wandb_run=wandb_run)
    return 0


def cmd_list(args) -> int:
    from rlkit.checks import registered
    from rlkit.registry import commands, experiments

    print("experiments (rlkit run NAME):")
    for name, exp in experiments().items():
        print(f"  {name:28s} {exp.description}")
    print("\ntheory checks (rlkit verify [FAMILY]):")
    for check in registered():
        print(f"  {check.family + '.' + check.name:40s} {check.description}")
    extra = commands()
    if extra:
        print("\nplug-in commands:")
        for name in extra:
            print(f"  rlkit {name}")
    return 0


def cmd_verify(args) -> int:
    from rlkit.checks import format_report, run_checks

    report = run_checks(args.family, full=args.full, echo=lambda m: print(m, file=sys.stderr))
    print(format_report(report))
    return 0 if report.ok else 1


def cmd_sweep(args) -> int:
    from rlkit.sweep import run_sweep_file

    run_sweep_file(args.file, count=args.count, batch=args.batch, seed=args.seed,
                   out_dir=args.out, quiet=args.quiet)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from rlkit.registry import commands

    extra = commands()
    if argv and argv[0] in extra:
        try:
            return int(extra[argv[0]](argv[1:]) or 0)
        except ConfigError as err:
            print(f"rlkit {argv[0]}: error: {err}", file=sys.stderr)
            return 2
    args = _parser(list(extra)).parse_args(argv)
    handlers = {"run": cmd_run, "list": cmd_list, "verify": cmd_verify, "sweep": cmd_sweep}
    try:
        return handlers[args.command](args)
    except ConfigError as err:
        print(f"rlkit {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: resume with `rlkit run --resume <run folder>`", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
