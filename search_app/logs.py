"""Log lines and terminal text that no file name, cell or request can forge or use to drive a terminal.

Used by the command line and by every server process (Granian starts its
workers afresh, so each one sets up its logging the same way).
"""

from __future__ import annotations

import logging
import re
import threading
import time

#: Control characters a terminal would act on (escape sequences, bells, carriage returns …), not tab or newline;
#: and lone surrogates: the bytes of a file name that is not UTF-8 (0x9b is an 8-bit escape) or that no
#: strict encoder writes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _shown(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as Python's file system encoding keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` safe to print on a terminal: control characters shown as ``\\x1b`` rather than obeyed."""
    return _CONTROL.sub(lambda m: _shown(m.group()), str(text))


class PrintableFormatter(logging.Formatter):
    """Log lines with a file name's or a cell's control characters shown, not obeyed by the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        # a newline in the message is shown too, so that no file name or path can forge a log line;
        # a traceback keeps its lines
        record = logging.makeLogRecord({**record.__dict__, "args": None,
                                        "msg": printable(record.getMessage()).replace("\n", "\\n")})
        return "\n".join(printable(line) for line in super().format(record).split("\n"))


def configure_logging(verbose: bool) -> None:
    """Standard logging to stderr: INFO with ``verbose``, else WARNING and above."""
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


class Throttled:
    """Log a kind of event at once, then at most once every ``seconds`` with how many more there were: a flood
    of refused requests writes a few lines, not one each."""

    def __init__(self, logger: logging.Logger, seconds: float = 10.0) -> None:
        self.logger = logger
        self.seconds = seconds
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def log(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` under ``kind`` unless one was logged in the last ``seconds`` (then it is
        counted); True if it was written."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -1e18) < self.seconds:
                self._held[kind] = self._held.get(kind, 0) + 1
                return False
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        suffix = f" ({held} more like it since the last such line)" if held else ""
        self.logger.log(level, message + suffix, *args)
        return True
