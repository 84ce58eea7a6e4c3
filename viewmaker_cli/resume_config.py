"""`vmk pretrain hydra.run.dir=DIR resume=true`: the run continues with its own config, read from DIR.

Hydra composes a run from the command line alone (a resumed run would get the default config) and rewrites
DIR/.hydra/ at every start. So before Hydra runs, the overrides the run was trained with are put in front of
this command's: DIR/.vmk/overrides.yaml, which the last process that trained in DIR kept
(training/run_dir.py), or DIR/.hydra/overrides.yaml for runs from before. The config they compose is then
checked against the one the run trained with (DIR/.vmk/config.yaml, or .hydra/): an override that would
change the run stops in one line. Those in MAY_CHANGE only say how long to train, what to log or keep, whether to
compile and how to probe the result.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from viewmaker_cli.errors import UserError
from viewmaker_cli.training.run_dir import KEPT_DIR

# Keys (and key prefixes) a resumed run may change: how long it trains, what it logs and keeps, how it is probed
# at the end, and the resume itself. Anything else would train another run than the one in the dir.
# trainer.compile / compile_mode say how the same steps run: a run that CUDA graphs fail in continues without them.
MAY_CHANGE = ("resume", "ckpt_path", "trainer.max_steps", "trainer.max_epochs", "trainer.log_every_n_steps",
              "trainer.image_every_n_steps", "trainer.checkpoint_every_n_steps", "trainer.keep_checkpoints",
              "trainer.compile", "trainer.compile_mode", "probe")
STARTS = ("resume", "ckpt_path")
SWEEP_FLAGS = ("-m", "--multirun")


def key_of(override: str) -> str:
    """`budget=0.1` -> budget, `+data.options.x=1` -> data.options.x, `~probe.also` -> probe.also."""
    return override.split("=", 1)[0].lstrip("+~")


def is_config_override(arg: str) -> bool:
    """`key=value`, `+key=value`, `~key`: not Hydra's own settings (hydra.*), flags or their values (`--cfg job`)."""
    return ("=" in arg or arg.startswith("~")) and not arg.startswith("-") and not key_of(arg).startswith(("hydra.", "hydra/"))


def resumed_args(args: list[str]) -> list[str]:
    """`vmk pretrain` arguments with the run's own overrides in front when they resume a run dir that kept
    them; `args` unchanged otherwise (a fresh run, a sweep, a SLURM restart, a dir without them)."""
    values = {key_of(a): a.split("=", 1)[1] for a in args if "=" in a}
    if any(a in SWEEP_FLAGS for a in args) or values.get("resume", "").lower() != "true" or "hydra.run.dir" not in values:
        return args
    run_dir = Path(values["hydra.run.dir"].strip("'\""))
    saved = _saved(run_dir)
    if saved is None:
        return args
    saved_overrides, saved_config = saved
    given = [a for a in args if is_config_override(a)]
    # Not replayed: what this command gives anew, and how the run's first process started (a run started from
    # ckpt_path=FILE continues from its own last checkpoint, not from FILE again).
    replay = [o for o in saved_overrides if key_of(o) not in {key_of(a) for a in given} | set(STARTS)]
    _check_unchanged(run_dir, replay, given, saved_config)
    return [*replay, *args]


def _saved(run_dir: Path) -> tuple[list[str], dict] | None:
    for folder in (run_dir / KEPT_DIR, run_dir / ".hydra"):
        if (folder / "overrides.yaml").is_file() and (folder / "config.yaml").is_file():
            overrides = OmegaConf.to_container(OmegaConf.load(folder / "overrides.yaml"))
            return [str(o) for o in overrides], OmegaConf.to_container(OmegaConf.load(folder / "config.yaml"))
    return None


def _leaves(node, prefix: str = "") -> dict:
    if isinstance(node, dict):
        return {k: v for key, value in node.items() for k, v in _leaves(value, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): node}


def _compose(overrides: list[str]) -> dict:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from viewmaker_cli.config import config_dir, register
    from viewmaker_cli.objectives.table import register as register_objectives

    register()
    register_objectives()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base=None, job_name="pretrain"):
            return OmegaConf.to_container(compose(config_name="pretrain", overrides=overrides))
    except Exception:  # a bad override: cli.precheck reports it in one line
        return {}
    finally:
        GlobalHydra.instance().clear()


def may_change(key: str) -> bool:
    return any(key == m or key.startswith(m + ".") for m in MAY_CHANGE)


def _check_unchanged(run_dir: Path, replay: list[str], given: list[str], saved_config: dict) -> None:
    """UserError naming the first override of `given` that makes the composed config differ from the run's
    outside MAY_CHANGE. A difference none of them makes is vmk's own (its defaults moved since the run was
    started): the resume goes on, and the checkpoint's checks (training/trainer.py: resume_from) still hold."""
    composed = _compose([*replay, *given])
    if not composed:
        return
    saved, now = _leaves(saved_config), _leaves(composed)
    differ = [k for k in dict.fromkeys([*saved, *now]) if saved.get(k) != now.get(k) and not may_change(k)]
    if not differ:
        return
    candidates = [a for a in given if not may_change(key_of(a))]
    changing = [a for a in candidates if any(k == key_of(a) or k.startswith(key_of(a) + ".") for k in differ)]
    if not changing and candidates:  # a group or preset override moves keys other than its own name
        alone = _compose(replay)
        changing = [a for a in candidates if _compose([*replay, a]) != alone]
    if changing:
        key = next((k for k in differ if k == key_of(changing[0])), differ[0])
        raise UserError(
            f"{changing[0]} would change the run in {run_dir} ({key} was {saved.get(key)!r}): resume=true continues a "
            "run with its own config, where only trainer.max_steps, trainer.max_epochs, the logging and checkpoint "
            "intervals, trainer.compile, trainer.compile_mode and probe.* may change; start a new run in a fresh dir to change anything else"
        )
