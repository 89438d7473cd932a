"""The dictionaries plansearch ships (``data/synonyms.txt``, ``data/concepts.txt``): used for a data folder that
has none of its own. A regular install carries them inside the package (``search_app/dictionaries/``); a checkout
or an editable install reads them from the top-level ``data/``."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: A setting's value that means "no dictionary".
OFF = "off"


def shipped(name: str) -> Path | None:
    """The shipped dictionary ``name`` (``synonyms.txt``, ``concepts.txt``), or None if it is not there."""
    for folder in (PACKAGE / "dictionaries", PACKAGE.parent / "data"):
        if (folder / name).is_file():
            return folder / name
    return None


def dictionary(setting: str, data_dir: Path, name: str) -> Path | None:
    """The dictionary to use: the setting's file if it names one (``off``: none), else the data folder's own
    ``name``, else the shipped one."""
    if setting.strip().lower() == OFF:
        return None
    if setting:
        return Path(setting)
    own = data_dir / name
    return own if own.is_file() else shipped(name)
