"""What `pip install -v` is doing, read from its output: the stage (downloading, configuring,
compiling, linking, installing), the compiler's step count and an estimate of the time left.

Pure (lines and clock readings in, state out), so the tests feed it real ninja, make, cmake
and pip lines with a clock of their own. `chatcli.install` prints what it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOWNLOAD, CONFIGURE, COMPILE, LINK, INSTALL = (
    "download",
    "configure",
    "compile",
    "link",
    "install",
)
# ninja's "[12/196] Building CXX object …", make's "[ 42%] Linking CXX shared library …"
_NINJA_STEP = re.compile(r"^\s*\[(\d+)/(\d+)\]\s*(.*)")
_MAKE_STEP = re.compile(r"^\s*\[\s*(\d+)%\]\s*(.*)")
_STAGE_LINES = (
    # pip itself, not the pip runs that install build requirements (their lines are indented)
    (re.compile(r"^(Collecting|Obtaining|Processing) "), DOWNLOAD),
    (re.compile(r"^Installing collected packages"), INSTALL),
    # scikit-build-core (llama-cpp-python's build backend), then plain cmake
    (re.compile(r"^\s*\*\*\* Configuring CMake"), CONFIGURE),
    (re.compile(r"^\s*\*\*\* Building project"), COMPILE),
    (re.compile(r"^\s*\*\*\* Installing project"), INSTALL),
    (re.compile(r"^\s*-- The (C|CXX) compiler identification"), CONFIGURE),
    (re.compile(r"^\s*-- Build files have been written"), COMPILE),
)
# A link step: ninja's description, or (ninja -v, as llama-cpp-python builds) CMake's link
# rule and the library symlinks after it.
_LINKING = re.compile(r"^(Linking |: && |.*cmake_symlink_library)|.* -shared ")
# The share of the steps done before their rate is trusted: the first ones are quick C files.
MIN_FRACTION = 0.05


@dataclass
class BuildProgress:
    """The build as far as its output tells."""

    stage: str | None = None
    done: int = 0
    total: int = 0  # 100 for make's percentages
    compiling_since: float | None = None

    def feed(self, line: str, now: float) -> None:
        step = _NINJA_STEP.match(line)
        if step is not None:
            self._step(int(step[1]), int(step[2]), step[3], now)
        elif (percent := _MAKE_STEP.match(line)) is not None:
            self._step(int(percent[1]), 100, percent[2], now)
        else:
            for pattern, stage in _STAGE_LINES:
                if pattern.match(line):
                    self.stage = stage
                    break
        if self.stage == COMPILE and self.compiling_since is None:
            self.compiling_since = now  # the rate counts from the compile's start

    def _step(self, done: int, total: int, what: str, now: float) -> None:
        if self.compiling_since is None:
            self.compiling_since = now
        self.done, self.total = done, total
        self.stage = LINK if _LINKING.match(what) else COMPILE

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def seconds_left(self, now: float) -> float | None:
        """The compile's time left at the rate of its steps so far; None until enough are done
        (or when not compiling)."""
        if self.compiling_since is None or self.stage not in (COMPILE, LINK):
            return None
        if self.fraction < MIN_FRACTION:
            return None
        spent = now - self.compiling_since
        return spent * max(self.total - self.done, 0) / self.done
