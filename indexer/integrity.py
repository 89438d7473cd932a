"""What a generation holds, recorded when it is published and checked before and while it is served.

Every file of a generation (but ``meta.json``) is listed in its ``meta.json`` with its size and a BLAKE2b
checksum, and ``meta.json`` carries a checksum of its own content. Checking a generation is then:

- **quick** (before a generation is served; milliseconds): ``meta.json`` is whole, every listed file is there
  with its recorded size;
- **full** (in the background after a server starts, before it switches to a new generation, and on
  ``plansearch check``): every file's checksum as well.

A generation found damaged gets a ``DAMAGED`` file naming what is wrong (when the folder can be written), so that
every process serving the folder stops using it; ``indexer.generations`` never picks such a generation again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

ALGORITHM = "blake2b-128"
#: The file that says a generation is damaged, and why (one line).
DAMAGED = "DAMAGED"
#: The key of ``meta.json``'s own checksum.
CHECKSUM_KEY = "checksum"
_CHUNK = 1 << 20


def file_digest(path: Path, stop: Callable[[], bool] | None = None) -> str:
    """The file's checksum (hex); reads it in 1 MiB pieces (hashlib lets other threads run meanwhile)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if stop is not None and stop():
                raise InterruptedError(f"{path}: check stopped")
    return digest.hexdigest()


def inventory(folder: Path, skip: Iterable[str] = ("meta.json", DAMAGED)) -> dict[str, list]:
    """{path relative to ``folder`` (``/``-separated): [size, checksum]} of every file under it."""
    skipped = set(skip)
    out: dict[str, list] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in skipped:
            out[name] = [path.stat().st_size, file_digest(path)]
    return out


def _canonical(meta: dict) -> bytes:
    return json.dumps({k: v for k, v in meta.items() if k != CHECKSUM_KEY}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":")).encode("utf-8")


def sealed(meta: dict) -> dict:
    """``meta`` with its own checksum added (what ``meta_problem`` checks)."""
    return {**meta, CHECKSUM_KEY: hashlib.blake2b(_canonical(meta), digest_size=16).hexdigest()}


def meta_problem(meta: dict) -> str | None:
    """What is wrong with a ``meta.json`` read back, or None."""
    recorded = meta.get(CHECKSUM_KEY)
    if not isinstance(recorded, str):
        return "meta.json: no checksum recorded"
    if hashlib.blake2b(_canonical(meta), digest_size=16).hexdigest() != recorded:
        return "meta.json: its content does not match its checksum"
    return None


def quick_problems(folder: Path, files: dict[str, list]) -> list[str]:
    """Files listed but missing, or of another size than recorded: one line each."""
    out = []
    for name, (size, _) in files.items():
        try:
            actual = (folder / name).stat().st_size
        except FileNotFoundError:
            out.append(f"{name}: missing")
            continue
        except OSError as exc:
            out.append(f"{name}: cannot be read ({exc.strerror or exc})")
            continue
        if actual != size:
            out.append(f"{name}: {actual:,} bytes, {size:,} recorded")
    return out


def full_problems(folder: Path, files: dict[str, list], include: Callable[[str], bool] = lambda name: True,
                  stop: Callable[[], bool] | None = None) -> list[str]:
    """``quick_problems``, then the checksum of every file ``include`` says to read: one line per bad file."""
    out = quick_problems(folder, {k: v for k, v in files.items() if include(k)})
    bad = {line.split(":", 1)[0] for line in out}
    for name, (_, digest) in files.items():
        if name in bad or not include(name):
            continue
        try:
            if file_digest(folder / name, stop) != digest:
                out.append(f"{name}: its content does not match its checksum")
        except OSError as exc:
            out.append(f"{name}: cannot be read ({exc.strerror or exc})")
    return out


def served_file(name: str) -> bool:
    """Whether a server reads the file (the copies of the tables under ``sources/`` serve only rebuilds)."""
    return not name.startswith("sources/")


def mark_damaged(folder: Path, reason: str) -> bool:
    """Write ``DAMAGED`` into the generation; False if the folder cannot be written (read-only, gone)."""
    try:
        tmp = folder / f".{DAMAGED}.{os.getpid()}"
        tmp.write_text(reason.replace("\n", " ") + "\n", encoding="utf-8")
        os.replace(tmp, folder / DAMAGED)
        return True
    except OSError:
        return False


def damage_mark(folder: Path) -> str | None:
    """The reason a generation was marked damaged, or None if it was not."""
    try:
        return (folder / DAMAGED).read_text(encoding="utf-8", errors="replace").strip() or "marked damaged"
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{DAMAGED}: cannot be read ({exc.strerror or exc})"
