"""How long staging a source tree takes (`/file src/`, `-f src/`), and that it grows linearly
with the tree: trees of 500, 1,000 and 2,000 files (a tenth of them ignored by .gitignore, some
binaries and a lock file), each staged several times; the median per file should stay flat."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatcli.attach import load

RUNS = 5
SIZES = (500, 1000, 2000)
SOURCE = "def handler(event):\n    '''处理一个事件。'''\n    return event\n" * 20


def make_tree(root: Path, files: int) -> None:
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "package-lock.json").write_text("{}")
    for i in range(files):
        folder = root / f"pkg{i % 40}" / f"mod{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 10 == 0:
            (folder / f"run{i}.log").write_text("ignored\n")
        elif i % 25 == 1:
            (folder / f"blob{i}.bin").write_bytes(b"\0" * 512)
        else:
            (folder / f"file{i}.py").write_text(SOURCE)


def main() -> None:
    print(f"staging a source tree (median of {RUNS}):")
    per_file = []
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "src"
            root.mkdir()
            make_tree(root, size)
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                item = load(str(root), confirm=lambda question: False)
                times.append(time.perf_counter() - started)
            median = statistics.median(times)
            per_file.append(median / size)
            print(
                f"  {size:>5} files: {median * 1000:7.1f} ms, {median / size * 1e6:6.1f} µs/file"
                f" ({item.files} staged, {len(item.skipped)} left out, ≈{item.tokens:,} tokens)"
            )
    ratio = per_file[-1] / per_file[0]
    print(f"  µs per file, largest ÷ smallest tree: {ratio:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
