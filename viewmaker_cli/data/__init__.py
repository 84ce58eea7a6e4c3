"""Datasets as prepared tensors: `load_dataset(name)` → `Splits`; `DATASETS` lists the names (data/catalog.py)."""

from viewmaker_cli.data.catalog import DATASETS, load_dataset
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits

__all__ = ["DATASETS", "DatasetInfo", "Splits", "load_dataset"]
