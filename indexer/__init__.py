"""plansearch indexer: read plan-evaluation tables, analyse Japanese text, build the index."""

from .datasets import read_datasets, read_paths
from .models import Dataset, Measure, PlansearchError, ReadWarning, Record, TableError, YearEntry
from .reader import read_table

__all__ = [
    "Dataset", "Measure", "PlansearchError", "ReadWarning", "Record", "TableError", "YearEntry",
    "read_datasets", "read_paths", "read_table",
]
