"""`vmk tb [DIR] [--port N] [--host H]`: TensorBoard on the runs under DIR (default outputs/), from the
installed tensorboard package; prints the URL and serves until Ctrl+C."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from viewmaker_cli.core.quiet import quiet_tensorboard
from viewmaker_cli.errors import UserError

EVENT_GLOB = "events.out.tfevents.*"


def parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vmk tb", description="TensorBoard on the runs under DIR: scalars, view images, HPARAMS.")
    parser.add_argument("dir", nargs="?", default="outputs", help="folder searched for event files (default: outputs)")
    parser.add_argument("--port", default="default", help="port; 0 = any free one (default: 6006, or the next free one)")
    parser.add_argument("--host", default="localhost", help="address to serve on (0.0.0.0 for other machines; default localhost)")
    return parser.parse_args(args)


def check_logdir(path: str) -> Path:
    """DIR must exist and hold at least one TensorBoard event file somewhere below it."""
    base = Path(path).expanduser()
    if not base.is_dir():
        what = "a file, not a directory" if base.exists() else "no such directory"
        raise UserError(f"{path}: {what} (vmk tb DIR, where DIR holds runs; default: outputs)")
    if next(base.rglob(EVENT_GLOB), None) is None:
        raise UserError(f"{path}: no TensorBoard event files under it (a vmk run writes them to RUN_DIR/tb/)")
    return base


def tensorboard_argv(logdir: Path, port: str, host: str) -> list[str]:
    return [None, "--logdir", str(logdir), "--port", str(port), "--host", host]  # argv[0] is ignored


def main(args: list[str]) -> None:
    options = parse(args)
    if options.port != "default" and not options.port.isdigit():
        raise UserError(f"--port {options.port}: not a port number (or 0 for any free port)")
    logdir = check_logdir(options.dir)
    from tensorboard import program

    quiet_tensorboard()
    board = program.TensorBoard()
    board.configure(argv=tensorboard_argv(logdir, options.port, options.host))
    try:
        url = board.launch()  # serves from a daemon thread
    except program.TensorBoardServerException as error:
        raise UserError(f"TensorBoard could not start: {error.msg}") from None
    print(f"TensorBoard on {logdir} at {url} (Ctrl+C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
