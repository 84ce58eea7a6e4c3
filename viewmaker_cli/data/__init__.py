"""Datasets as prepared tensors: `load_dataset(name)` → `Splits`; `DATASETS` lists the names."""

from viewmaker_cli.data.registry import DATASETS, DatasetInfo, load_dataset
from viewmaker_cli.data.splits import Splits

__all__ = ["DATASETS", "DatasetInfo", "Splits", "load_dataset"]
