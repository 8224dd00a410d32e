"""How long staging a source tree takes (`/file src/`, `-f src/`), and that it grows linearly
with the tree: trees of 500, 1,000 and 2,000 files (a tenth of them ignored by .gitignore, some
binaries and a lock file), each staged once untimed (imports, the page cache), then several
times. The machine is shared, so it counts this process's CPU time (reading files from the page
cache is CPU too) and keeps the best run: other programs only ever add to it."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatcli import secretscan
from chatcli.attach import load

RUNS = 7
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
    print(f"staging a source tree (CPU time, best of {RUNS}):")
    best: list[float] = []
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "src"
            root.mkdir()
            make_tree(root, size)
            load(str(root), confirm=lambda question: False)  # warm: imports, the page cache
            times = []
            for _ in range(RUNS):
                started = time.process_time()
                item = load(str(root), confirm=lambda question: False)
                times.append(time.process_time() - started)
            best.append(min(times))
            print(
                f"  {size:>5} files: {best[-1] * 1000:7.1f} ms, "
                f"{best[-1] / size * 1e6:6.1f} µs/file"
                f" ({item.files} staged, {len(item.skipped)} left out, ≈{item.tokens:,} tokens)"
            )
    # The folders are the same for every size, so the time per file falls as the walk's fixed
    # part is shared; what each added file costs shows the growth (quadratic would double it).
    added = [(best[i + 1] - best[i]) / (SIZES[i + 1] - SIZES[i]) for i in range(len(SIZES) - 1)]
    steps = ", ".join(
        f"{SIZES[i]:,}→{SIZES[i + 1]:,}: {cost * 1e6:.1f} µs" for i, cost in enumerate(added)
    )
    print(
        f"  each added file costs {steps}; last ÷ first {added[-1] / added[0]:.2f} (1.0 = linear)"
    )

    scanners()


def scanners() -> None:
    """What looking for secrets in each file's content costs: the 2,000-file tree staged with
    secretscan.py and with the content check off, and, when it is installed (it is not a
    dependency), detect-secrets' own scan of the same files for comparison."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "src"
        root.mkdir()
        make_tree(root, SIZES[-1])
        found = secretscan.found
        on = staged_cpu(root)
        secretscan.found = lambda text: None  # type: ignore[assignment]
        try:
            off = staged_cpu(root)
        finally:
            secretscan.found = found
        print(
            f"content scan on {SIZES[-1]:,} files: staging {on * 1000:.1f} ms with it, "
            f"{off * 1000:.1f} ms without ({on / off:.2f}x)"
        )
        other = detect_secrets_cpu(root)
        if other is not None:
            print(f"  detect-secrets (default plugins) scanning the same files: {other:.2f} s")


def staged_cpu(root: Path) -> float:
    load(str(root), confirm=lambda question: False)
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        load(str(root), confirm=lambda question: False)
        times.append(time.process_time() - started)
    return min(times)


def detect_secrets_cpu(root: Path) -> float | None:
    try:
        from detect_secrets import SecretsCollection  # type: ignore[import-not-found]
        from detect_secrets.settings import default_settings  # type: ignore[import-not-found]
    except ImportError:
        return None
    files = [str(path) for path in sorted(root.rglob("*.py"))]
    with default_settings():
        collection = SecretsCollection()
        collection.scan_file(files[0])
        started = time.process_time()
        for name in files:
            collection.scan_file(name)
        return time.process_time() - started


if __name__ == "__main__":
    main()
