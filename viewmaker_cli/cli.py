"""`vmk SUBCOMMAND [hydra args]`: each subcommand is a full Hydra app (overrides, -m, --cfg, --help).

This module only dispatches; the work lives in the modules each command names.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Callable

from viewmaker_cli.core.interrupt import Interrupted, interruptible
from viewmaker_cli.errors import UserError, exit_with
from viewmaker_cli.home_paths import expand_home
from viewmaker_cli.resume_config import resumed_args

# name -> (module:function run with the composed config, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "pretrain": ("viewmaker_cli.commands.pretrain:run", "pretrain an encoder with learned (or other) views, probe it, write results"),
    "probe": ("viewmaker_cli.commands.probe:run", "probe a saved encoder: vmk probe ckpt=PATH [probe.kind=linear|paper|knn]"),
    "report": ("viewmaker_cli.commands.report:run", "one table over many runs: vmk report DIR [DIR...]"),
    "views": ("viewmaker_cli.commands.views:run", "PNG grid + GIF of a saved run's views: vmk views ckpt=PATH"),
    "embed": ("viewmaker_cli.commands.embed:run", "features per split + encoder.safetensors: vmk embed ckpt=PATH"),
    "bench": ("viewmaker_cli.commands.bench:run", "images/s of the authors' algorithm and of vmk's training steps here"),
}
# Commands whose config is not conf/{name}.yaml (conf/views/ is a config group of pretrain).
CONFIG_NAMES: dict[str, str] = {"views": "view_figure"}
# Plain commands (not Hydra apps): name -> (module:function taking the remaining args, description)
PLAIN_COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("viewmaker_cli.commands.data:main", "datasets: vmk data list | prepare NAME | check NAME"),
    "tb": ("viewmaker_cli.commands.tb:main", "TensorBoard on the runs under DIR: vmk tb [DIR] [--port N]"),
}

USAGE = """usage: vmk COMMAND [OVERRIDES...] [-m] [--cfg job] [--help]

Viewmaker networks: pretrain encoders with learned views (Tamkin, Wu, Goodman, ICLR 2021).

commands:
{commands}

Each command is a Hydra app: `vmk pretrain --help` lists its config groups and options,
`vmk pretrain budget=0.1 trainer.max_epochs=5` overrides values, `vmk pretrain -m budget=0.02,0.1` sweeps.
Errors are one line with exit code 2; set HYDRA_FULL_ERROR=1 for the full traceback.
"""


def usage() -> str:
    commands = {**COMMANDS, **PLAIN_COMMANDS}
    width = max(map(len, commands))
    lines = [f"  {name:<{width}}  {desc}" for name, (_, desc) in commands.items()]
    return USAGE.format(commands="\n".join(lines))


def _load(target: str) -> Callable:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def _report_args(args: list[str]) -> list[str]:
    """`vmk report DIR...` takes directories as positional arguments: turn them into `dirs=[...]`."""
    dirs = [a for a in args if "=" not in a and not a.startswith("-")]
    rest = [a for a in args if a not in dirs]
    if dirs:
        quoted = ",".join("'" + d.replace("'", "\\'") + "'" for d in dirs)
        rest.append(f"dirs=[{quoted}]")
    return rest


def main(argv: list[str] | None = None) -> None:
    args = command_line(list(sys.argv[1:] if argv is None else argv))
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        sys.exit(0 if args else 2)
    name, rest = args[0], args[1:]
    if name in PLAIN_COMMANDS:
        try:
            _load(PLAIN_COMMANDS[name][0])(rest)
        except UserError as error:
            exit_with(error)
        return
    if name not in COMMANDS:
        known = ", ".join([*COMMANDS, *PLAIN_COMMANDS])
        exit_with(UserError(f"unknown command '{name}' (choose from: {known}; see vmk --help)"))
    if name == "report":
        rest = _report_args(rest)
    run_hydra_app(name, rest)


def command_line(args: list[str]) -> list[str]:
    """The arguments as vmk reads them: a `~` that starts a path expanded (home_paths.py); `vmk pretrain
    hydra.run.dir=DIR resume=true` with the run's own overrides in front (resume_config.py)."""
    args = expand_home(args)
    if args[:1] == ["pretrain"]:
        try:
            args = ["pretrain", *resumed_args(args[1:])]
        except UserError as error:
            exit_with(error)
    return args


def run_hydra_app(name: str, args: list[str]) -> None:
    """Run subcommand `name` as a Hydra app over conf/{name}.yaml with `args` as its command line; Ctrl-C or
    SIGTERM ends it with one line and exit code 130 or 143 (interruption.py)."""
    with interruptible():
        try:
            _run_hydra_app(name, args)
        except Interrupted as stop:  # inside: a second signal while the table is written is ignored
            from viewmaker_cli.interruption import command_stopped

            command_stopped(stop, sweep_asked="-m" in args or "--multirun" in args)
            raise


def _run_hydra_app(name: str, args: list[str]) -> None:
    import hydra

    from viewmaker_cli.config import config_dir
    from viewmaker_cli.launch_failure import one_line_launcher_failures

    register_schemas(name)
    precheck(name, args)  # before importing the task (torch, lightning): a typo fails in a second
    crashed: list[BaseException] = []
    sweep = "-m" in args or "--multirun" in args
    if sweep:
        _quiet_submitit()

    def job(cfg):
        _use_job_cpus()
        with interruptible():  # in the job's own process, whichever launcher started it
            return _job(cfg)

    def _job(cfg):
        try:
            task = _load(COMMANDS[name][0])  # here, not before Hydra: --help and --cfg import no torch
            return task(cfg)
        except Interrupted as stop:  # Ctrl-C or SIGTERM: one line; a sweep job is marked interrupted
            from viewmaker_cli.interruption import job_stopped

            job_stopped(name, cfg, stop)
            raise
        except Exception as error:
            _log_failure(error)
            if _in_multirun():  # one failed job must not stop the sweep: mark it and go on
                from viewmaker_cli.reporting import failed_jobs

                failed_jobs.report(_record_failure(cfg, error))
                return None
            if isinstance(error, UserError):
                from viewmaker_cli.training.run_dir import release_unused

                release_unused()  # a run stopped before training leaves no lock file behind
                exit_with(error)
            crashed.append(error)  # a bug, not a user mistake: Hydra prints the traceback
            raise

    sys.argv = [f"vmk {name}", *args]
    app = hydra.main(config_path=str(config_dir()), config_name=CONFIG_NAMES.get(name, name), version_base=None)(job)
    exit_code = None
    launcher_failed: list = []  # the launcher's own failure, already printed as one line (launch_failure.py)
    # failed: filled by jobs in any local process, and from the failed jobs' results.json at the sweep's end
    with _failed_jobs_log(sweep) as failed, one_line_launcher_failures(launcher_failed):
        try:
            app()
        except Interrupted:
            raise
        except SystemExit as stop:
            exit_code = stop.code
        except Exception as error:  # HYDRA_FULL_ERROR=1: Hydra raises what it would have reported
            if crashed or not _config_error(error):
                raise
            exit_with(UserError(condense(str(error))), cause=error)  # the traceback, and still exit 2
    if launcher_failed:
        sys.exit(launcher_failed[0].exit_code)
    if failed:  # jobs that raised, or (hydra/launcher=parallel) whose process died
        print(f"vmk: {len(failed)} job(s) of the sweep failed:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)
    # Hydra exits 1 both for composition errors (bad override, unknown key, wrong type) and for crashes
    # inside the job. The former are the user's to fix: exit 2, like every user error.
    if exit_code == 1 and not crashed:
        sys.exit(2)
    if exit_code is not None:
        sys.exit(exit_code)


def _config_error(error: Exception) -> bool:
    """A mistake in the command line or config (Hydra's composition, OmegaConf's types), not a bug."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    return isinstance(error, (HydraException, OmegaConfBaseException, UserError))


def _log_failure(error: BaseException) -> None:
    """The error of a failed run into its log file (pretrain.log …), which otherwise ends with no word of it; the
    console gets it once, from the error handling after this."""
    import logging
    import traceback

    text = f"error: {error}" if isinstance(error, UserError) else "".join(traceback.format_exception(error)).rstrip()
    record = logging.LogRecord("vmk", logging.ERROR, __file__, 0, text, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def _use_job_cpus() -> None:
    """Torch threads = the CPUs this job was given (core/threads.py), on whichever launcher started it."""
    from hydra.core.hydra_config import HydraConfig

    from viewmaker_cli.core.threads import use_job_cpus

    launcher = HydraConfig.get().launcher if HydraConfig.initialized() else {}
    use_job_cpus(launcher.get("cpus_per_task"))


def _quiet_submitit() -> None:
    """submitit's job states without its sacct noise (core/slurm_states.py), when submitit is installed."""
    import importlib.util

    if importlib.util.find_spec("submitit") is not None:
        from viewmaker_cli.core.slurm_states import install

        install()


def register_schemas(name: str) -> None:
    """The typed schemas `vmk NAME` composes over, into Hydra's ConfigStore. Only pretrain has an objective
    group; its schemas live apart from the objectives' torch code, so --help, --cfg and a typo stay quick."""
    from viewmaker_cli.config import register

    register()
    if name == "pretrain":
        from viewmaker_cli.objectives.configs import register as register_objectives

        register_objectives()


HYDRA_FLAGS = ("-m", "--multirun", "--cfg", "-c", "--help", "-h", "--hydra-help", "--info", "-i", "--resolve",
               "--shell-completion", "-sc", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
               "--config-dir", "-cd", "--experimental-rerun")


def precheck(name: str, args: list[str]) -> None:
    """Compose and check the config before Hydra does, so that a bad override, unknown key, wrong type,
    missing group option, unknown `+key` append, out-of-range value (validation.py) or output folder that
    cannot be written (output_paths.py) ends in one line (exit 2) within about a second, instead of Hydra's
    multi-line report or a traceback after torch is imported. A sweep (-m) is checked on a few of its jobs
    that hold every swept value between them; other Hydra flags (--help, --cfg, ...) are left to Hydra."""
    SWEEP = ("-m", "--multirun")
    if any(a.split("=")[0] in HYDRA_FLAGS and a not in SWEEP for a in args):
        return
    overrides = [a for a in args if a not in SWEEP]
    if len(overrides) < len(args):
        if any(a.startswith("hydra/sweeper=") for a in args):
            return  # another sweeper's search space: only it can expand it
        unreadable = unquoted_value(overrides)
        if unreadable:
            exit_with(UserError(unreadable))
        jobs = _covering_jobs(overrides)
        for job in jobs or []:
            _check_config(name, job, sweep=True)
        return
    _check_config(name, overrides, sweep=False)


def _covering_jobs(overrides: list[str], limit: int = 8) -> list[list[str]] | None:
    """The overrides of a few of the sweep's jobs that hold every swept value between them (as Hydra's basic
    sweeper expands them); None when the sweep is not one it expands (Hydra then reports it)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
        jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    except Exception:
        return None
    seen: set[str] = set()
    chosen = []
    for job in jobs:
        if not seen.issuperset(job):
            chosen.append(job)
            seen.update(job)
        if len(chosen) == limit:
            break
    return chosen


def _check_config(name: str, overrides: list[str], sweep: bool) -> None:
    """precheck of one run's (or one sweep job's) overrides."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from viewmaker_cli.config import config_dir
    from viewmaker_cli.output_paths import check_outputs, check_writable_dir
    from viewmaker_cli.unknown_key import unknown_key_message
    from viewmaker_cli.validation import check, check_appends

    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base=None, job_name=name):
            cfg = compose(config_name=CONFIG_NAMES.get(name, name), overrides=overrides, return_hydra_config=True)
    except Exception as error:  # Hydra and OmegaConf raise many types; all mean "this config is wrong"
        causes = [error]
        while causes[-1].__cause__ is not None and len(causes) < 4:
            causes.append(causes[-1].__cause__)
        message = (unquoted_value(overrides) or unknown_key_message(name, error)
                   or condense("\n".join(dict.fromkeys(str(e) for e in causes))))
        if sweep:
            message = f"{message} (in the sweep's job {' '.join(overrides)})"
        exit_with(UserError(message), cause=error)
    finally:
        GlobalHydra.instance().clear()
    try:
        check_appends(cfg, overrides)
        check(name, cfg)
        check_outputs(name, cfg, None if sweep else _run_dir(cfg))
        if sweep:
            sweep_dir = _run_dir(cfg, "sweep")
            if sweep_dir is not None:
                check_writable_dir(sweep_dir, "hydra.sweep.dir", "choose another with hydra.sweep.dir=DIR")
    except UserError as error:
        exit_with(error)


def _run_dir(cfg, mode: str = "run") -> str | None:
    """hydra.run.dir (or hydra.sweep.dir) as the run will have it; None when it needs the running app."""
    try:
        return str(cfg.hydra[mode].dir)
    except Exception:  # an interpolation only Hydra's job can resolve: Hydra makes the dir itself
        return None


def unquoted_value(args: list[str]) -> str | None:
    """Hydra's lexer error for an unquoted value (a space the shell split on, ~, quotes, brackets, ...) as
    one line that says how to quote it; None when every argument parses."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for i, arg in enumerate(args):
        try:
            parser.parse_override(arg)
        except Exception as error:
            reason = str(error).splitlines()[-1].strip() if str(error).strip() else type(error).__name__
            before = args[i - 1] if i and "=" in args[i - 1] else None
            if "=" not in arg and before is not None:  # `key=my dir` split by the shell into `key=my` and `dir`
                key, _, value = before.partition("=")
                return (f"'{arg}' is not KEY=VALUE: if it is the rest of {key}'s value (a space the shell split on), "
                        f"quote the whole value: '{key}=\"{value} {arg}\"'")
            key, sep, value = arg.partition("=")
            if not sep:
                return f"'{arg}' is not KEY=VALUE ({reason})"
            return (f"cannot read {arg} ({reason}): quote the value, e.g. '{key}=\"{value}\"' "
                    "(single quotes for the shell, double quotes for Hydra)")
    return None


def condense(message: str) -> str:
    """Hydra's multi-line composition message as one line: the facts, without the boilerplate."""
    noise = ("full_key", "object_type", "reference_type", "Config search path", "provider=", "Set the environment",
             "See https", "To append to your config")
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith(noise)]
    out: list[str] = []
    for line in lines:
        if out and out[-1].endswith(":") and line[0] != "I":  # list items after "Available options in 'x':"
            out[-1] += " " + line
        elif out and out[-1].startswith("Available options") and not out[-1].endswith(":"):
            out[-1] += ", " + line
        else:
            out.append(line)
    joined = "; ".join(out)
    for config in {*COMMANDS, *CONFIG_NAMES.values()}:  # Hydra's "In 'CONFIG': " prefix says nothing here
        joined = joined.replace(f"In '{config}': ", "")
    return joined


def _in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def _record_failure(cfg, error: Exception) -> str:
    """Write a complete results.json with status "failed" into the job's dir; return a one-line summary."""
    import traceback

    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from viewmaker_cli.reporting.results import write_failure

    run_dir = HydraConfig.get().runtime.output_dir
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    kind = "user error" if isinstance(error, UserError) else type(error).__name__
    write_failure(run_dir, f"{kind}: {message}", OmegaConf.to_container(cfg, resolve=True), traceback.format_exc())
    print(f"vmk: error: job {HydraConfig.get().job.num} failed ({kind}): {message}", file=sys.stderr)
    return f"{run_dir}: {message}"


@contextlib.contextmanager
def _failed_jobs_log(sweep: bool):
    """The sweep's failed-jobs file (reporting/failed_jobs.py), named to every job through the environment:
    a list in this process would miss jobs that run in processes of their own (hydra/launcher=parallel)."""
    import os
    import tempfile

    from viewmaker_cli.reporting import failed_jobs

    failed: list[str] = []
    if not sweep:  # a single run has no failed jobs to count (and a killed run leaves no file behind)
        yield failed
        return
    fd, path = tempfile.mkstemp(prefix="vmk-failed-jobs-", suffix=".txt")
    os.close(fd)
    previous = os.environ.get(failed_jobs.ENV)
    os.environ[failed_jobs.ENV] = path
    try:
        yield failed
    finally:
        failed.extend(failed_jobs.read(path))
        os.unlink(path)
        if previous is None:
            os.environ.pop(failed_jobs.ENV, None)
        else:
            os.environ[failed_jobs.ENV] = previous


if __name__ == "__main__":
    main()
