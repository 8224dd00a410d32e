"""`python bench/llama_build.py`: what compiling llama.cpp costs, the default build against the
lean one `make` uses (chatcli.install.lean_environment), on this machine.

Each run is `pip wheel --no-cache-dir --no-deps llama-cpp-python==VERSION` into a temporary
folder (pip's shared cache is neither read nor written), the variants interleaved so machine
noise hits both. Reported per run: wall time, and CPU time (user + sys of pip and everything
it waited for: cmake, ninja, the compilers), which the load of other users does not inflate.

Not part of `make bench`: each run keeps both cores busy for minutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from chatcli.install import lean_environment


def build(variant: str, package: str, log: Path) -> tuple[float, float, bool]:
    """One build, pip's verbose output into `log`: (wall seconds, CPU seconds, succeeded)."""
    with tempfile.TemporaryDirectory(prefix=f"llama-build-{variant}-") as folder:
        env = dict(os.environ)
        if variant == "lean":
            env = lean_environment(env, Path(folder))
        command = [sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--no-deps"]
        command += ["-v", package, "-w", folder]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        with open(log, "w", encoding="utf-8") as out:
            result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        built = any(name.endswith(".whl") for name in os.listdir(folder))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.returncode == 0 and built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="builds of each variant")
    parser.add_argument("--variants", default="default,lean")
    parser.add_argument("--version", default=None, help="default: the installed llama_cpp's")
    parser.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    package = f"llama-cpp-python=={args.version or version('llama-cpp-python')}"
    print(f"{package} on {os.cpu_count()} cores", flush=True)
    for run in range(1, args.runs + 1):
        for variant in args.variants.split(","):
            log = args.logs / f"llama-build-{variant}-{run}.log"
            wall, cpu, ok = build(variant, package, log)
            status = "" if ok else f"  FAILED (see {log})"
            minutes = f"wall {wall / 60:5.1f} min  CPU {cpu / 60:5.1f} min"
            print(f"run {run} {variant:8s} {minutes}{status}", flush=True)


if __name__ == "__main__":
    main()
