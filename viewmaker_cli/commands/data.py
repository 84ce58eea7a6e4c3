"""`vmk data list | prepare NAME | check NAME [root=DIR] [download=true] [pad_to=N]`."""

from __future__ import annotations

import sys

import torch
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from viewmaker_cli.data.catalog import DATASETS, data_config, get_info, load_configured
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.errors import UserError

USAGE = ("usage: vmk data list [root=DIR] | vmk data prepare NAME [root=DIR] [download=true] [pad_to=N] [options.KEY=VALUE]"
         " | vmk data check NAME [...]")
OPTIONS = {"root": str, "download": lambda v: v.lower() in ("1", "true", "yes"), "pad_to": lambda v: None if v in ("null", "none") else int(v)}


def parse(args: list[str]) -> tuple[list[str], dict]:
    positional, options = [], {}
    for arg in args:
        if "=" not in arg:
            positional.append(arg)
            continue
        key, value = arg.split("=", 1)
        key = key.removeprefix("data.")
        if key.startswith("options.") and len(key) > len("options."):  # data.options.KEY as in vmk pretrain
            options.setdefault("options", {})[key.removeprefix("options.")] = yaml.safe_load(value)
            continue
        if key not in OPTIONS:
            raise UserError(f"unknown option {key!r} for vmk data (known: {', '.join(OPTIONS)}, options.KEY)")
        try:
            options[key] = OPTIONS[key](value)
        except ValueError:
            raise UserError(f"{key}={value}: not a valid value") from None
    return positional, options


def list_datasets(root: str | None, console: Console) -> None:
    """One row per dataset (name, modality, found, description), then where each is or how to get it, a line
    each: addresses and paths stay whole (a table cell breaks them), and the whole fits 100 columns."""
    table = Table(title="vmk datasets", width=min(console.width, 100))
    table.add_column("name", no_wrap=True)
    table.add_column("modality", no_wrap=True)
    table.add_column("found", no_wrap=True)
    table.add_column("description", ratio=1)
    where = []
    for name, info in sorted(DATASETS.items(), key=lambda kv: (kv[1].modality, kv[0])):
        if info.embedded:
            found, how = "yes", info.how_to_get or "embedded in vmk"
        else:
            path = info.locate(root) if info.locate else None
            found, how = ("yes", f"found at {path}") if path else ("no", info.how_to_get)
        table.add_row(*map(escape, (name, info.modality, found, info.description)))  # "[speech]" is text
        where.append((name, how))
    console.print(table)
    console.print("where each is, or how to get it:")
    for name, how in where:
        console.print(f"  {escape(name)}: {escape(how or '')}", width=min(console.width, 100))  # wraps between words


def load(name: str, options: dict):
    """Dataset `name` read as `vmk pretrain data=NAME` reads it: conf/data/NAME.yaml composed as pretrain
    composes it, with the command line's settings on top, through the same loading call, hence the same
    prepared cache entry."""
    data = data_config(name)
    get_info(data["name"])
    data.update({k: v for k, v in options.items() if k != "options"})
    data["options"] = {**(data.get("options") or {}), **options.get("options", {})}
    return load_configured(data, get_info(data["name"]).modality)


def check(name: str, options: dict, console: Console) -> None:
    splits = load(name, options)
    table = Table(title=f"{name}: {splits.source}")
    for column in ("split", "examples", "shape", "dtype", "NaN/Inf", "mean", "std", "per-class counts"):
        table.add_column(column, overflow="fold")
    for split, x, y in (("train", splits.train_x, splits.train_y), ("test", splits.test_x, splits.test_y)):
        values = model_space(x)
        bad = int((~torch.isfinite(values)).sum())
        counts = torch.bincount(y, minlength=splits.num_classes).tolist()
        table.add_row(split, str(len(x)), "x".join(map(str, x.shape[1:])), str(x.dtype).removeprefix("torch."), str(bad),
                      f"{values.mean():.4f}", f"{values.std():.4f}", " ".join(map(str, counts)))
    console.print(table)
    console.print(f"{splits.num_classes} classes: {', '.join(splits.class_names[:20])}{' ...' if splits.num_classes > 20 else ''}")


def main(args: list[str]) -> None:
    console = Console()
    positional, options = parse(args)
    if not positional or positional[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if positional else 2)
    action, names = positional[0], positional[1:]
    if action == "list":
        list_datasets(options.get("root"), console)
        return
    if action in ("prepare", "check") and not names:
        raise UserError(f"vmk data {action} needs the dataset's NAME (vmk data list shows them), e.g. vmk data {action} basic_motions")
    if action not in ("prepare", "check") or len(names) != 1:
        raise UserError(USAGE.removeprefix("usage: "))
    if action == "prepare":
        splits = load(names[0], options)
        console.print(f"{names[0]}: {len(splits.train_y)} train / {len(splits.test_y)} test, "
                      f"{'x'.join(map(str, splits.input_shape))}, prepared from {splits.source}")
    else:
        check(names[0], options, console)
