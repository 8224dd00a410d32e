"""`make chat`'s build shows where it is: the stage, the compiler's step count and the time
left, read from pip's verbose output; Ctrl-C lets pip clean up, and a failure shows pip's last
lines and keeps its log.

The parser gets real lines (from `pip wheel -v llama-cpp-python` and make) and a clock of the
test's own; the display runs around a real CMake + ninja build of a small project shaped like
llama-cpp-python's (a wrapper that forces llama.cpp's `common` library on), compiled by the
same `python -m chatcli.install` the Makefile runs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chatcli.build_progress import COMPILE, CONFIGURE, DOWNLOAD, INSTALL, LINK, BuildProgress
from chatcli.i18n import set_language, t
from chatcli.install import BUILD_CPU_MINUTES, BUILD_IDLE_MINUTES, progress_line

REPO = Path(__file__).parent.parent

# From a real `pip wheel -v llama-cpp-python==0.3.36` (the commands shortened).
PIP_LINES = [
    ("Collecting llama-cpp-python==0.3.36", DOWNLOAD),
    ("  Downloading llama_cpp_python-0.3.36.tar.gz (76.6 MB)", DOWNLOAD),
    # pip's run that installs the build requirements: not the install of the packages
    ("  Collecting scikit-build-core>=0.9.2 (from scikit-build-core[pyproject]>=0.9.2)", DOWNLOAD),
    ("  Installing collected packages: pathspec, packaging, scikit-build-core", DOWNLOAD),
    ("  Building wheel for llama-cpp-python (pyproject.toml): started", DOWNLOAD),
    ("  *** Configuring CMake...", CONFIGURE),
    ("  -- The C compiler identification is GNU 12.2.0", CONFIGURE),
    ("  *** Building project with Ninja...", COMPILE),
]


def test_pip_and_scikit_build_lines_name_the_stage() -> None:
    progress = BuildProgress()
    for line, stage in PIP_LINES:
        progress.feed(line, 0.0)
        assert progress.stage == stage, line


def test_ninja_steps_count_and_estimate_the_time_left() -> None:
    progress = BuildProgress()
    progress.feed("  *** Building project with Ninja...", 100.0)
    progress.feed("  [1/100] /usr/bin/gcc -DGGML_BUILD -O3 -c ggml/src/ggml.c", 101.0)
    assert (progress.stage, progress.done, progress.total) == (COMPILE, 1, 100)
    assert progress.seconds_left(101.0) is None  # too few steps to trust a rate
    progress.feed("  [10/100] /usr/bin/g++ -DLLAMA_BUILD -O3 -c src/llama.cpp", 130.0)
    assert progress.seconds_left(130.0) == pytest.approx(30 * 90 / 10)
    shared = ": && /usr/bin/g++ -fPIC -O3 -shared -Wl,-soname,libggml-base.so -o libggml-base.so"
    progress.feed(f"  [50/100] {shared}", 200.0)
    assert progress.stage == LINK
    assert progress.seconds_left(200.0) == pytest.approx(100.0)
    progress.feed("  [51/100] /usr/bin/g++ -DLLAMA_BUILD -O3 -c src/llama-model.cpp", 202.0)
    assert progress.stage == COMPILE
    progress.feed("  [100/100] Linking CXX shared library bin/libllama.so", 300.0)
    assert (progress.stage, progress.seconds_left(300.0)) == (LINK, 0.0)
    progress.feed("  *** Installing project into wheel...", 301.0)
    assert progress.stage == INSTALL
    assert progress.seconds_left(301.0) is None
    progress.feed("Installing collected packages: llama-cpp-python", 302.0)
    assert progress.stage == INSTALL


def test_makes_percentages_count_too() -> None:
    progress = BuildProgress()
    progress.feed("-- Build files have been written to: /tmp/build", 0.0)
    progress.feed("[ 20%] Building CXX object src/CMakeFiles/llama.dir/llama.cpp.o", 60.0)
    assert (progress.stage, progress.done, progress.total) == (COMPILE, 20, 100)
    assert progress.seconds_left(60.0) == pytest.approx(240.0)
    progress.feed("[ 97%] Linking CXX shared library libllama.so", 100.0)
    assert progress.stage == LINK


def test_the_progress_line_in_both_languages() -> None:
    progress = BuildProgress()
    progress.feed("  *** Building project with Ninja...", 0.0)
    progress.feed("  [87/196] /usr/bin/g++ -c src/llama-vocab.cpp", 190.0)
    try:
        set_language("zh")
        assert progress_line(progress, -10.0, 190.0) == (
            "  …编译 87/196，已用 3 分 20 秒，预计还需约 4 分钟"
        )
        set_language("en")
        assert progress_line(progress, -10.0, 190.0) == (
            "  … compiling 87/196, 3 min 20 s so far, about 4 min left"
        )
        assert progress_line(BuildProgress(), 0.0, 5.0) == "  … working, 5 s so far"
    finally:
        set_language("en")


# --- a real build through `python -m chatcli.install` -------------------------------------

WRAPPER = """\
cmake_minimum_required(VERSION 3.21)
project(llama_cpp C)
# as llama-cpp-python's CMakeLists does
set(LLAMA_BUILD_COMMON ON CACHE BOOL "Build llama.cpp common library" FORCE)
add_subdirectory(vendor/llama.cpp)
"""
LLAMA = """\
cmake_minimum_required(VERSION 3.21)
project("llama.cpp" C)
option(LLAMA_BUILD_COMMON "llama: build common utils library" OFF)
add_library(llama SHARED {sources})
if (LLAMA_BUILD_COMMON)
    add_library(llama-common SHARED common.c)
endif()
"""
# What scikit-build-core does with CMAKE_ARGS: split like a shell, passed to the configure.
DRIVER = """\
import os, shlex, subprocess, sys
args = shlex.split(os.environ.get("CMAKE_ARGS", ""))
print("Building wheel for llama-cpp-python (pyproject.toml): started", flush=True)
print("*** Configuring CMake...", flush=True)
subprocess.run(["cmake", "-S", "src", "-B", "build", "-G", "Ninja", *args], check=True)
print("*** Building project with Ninja...", flush=True)
subprocess.run(["cmake", "--build", "build"], check=True)
print("*** Installing project into wheel...", flush=True)
"""
FILES = 40


def small_project(root: Path) -> None:
    llama = root / "src" / "vendor" / "llama.cpp"
    llama.mkdir(parents=True)
    (root / "src" / "CMakeLists.txt").write_text(WRAPPER)
    sources = [f"f{k}.c" for k in range(FILES)]
    (llama / "CMakeLists.txt").write_text(LLAMA.format(sources=" ".join(sources)))
    for k, name in enumerate(sources):
        (llama / name).write_text(f"int f{k}(void) {{ return {k}; }}\n")
    (llama / "common.c").write_text("int common(void) { return 0; }\n")
    (root / "driver.py").write_text(DRIVER)


def install(root: Path, *command: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chatcli.install", "local", *command],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), **env},
        start_new_session=True,
    )


@pytest.mark.skipif(not (shutil.which("cmake") and shutil.which("ninja")), reason="no cmake")
def test_a_real_build_shows_its_stages_steps_and_time_left(tmp_path: Path) -> None:
    small_project(tmp_path)
    process = install(tmp_path, sys.executable, "driver.py")
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("installing the packages of the offline model (llama.cpp)")
    assert lines[1].startswith("compiling llama.cpp from source: about ")
    assert "Ctrl-C is safe" in lines[2] and "needs no compiling at all" in lines[2]
    assert lines[3].startswith("  … configuring, ")
    assert lines[4].startswith("  … compiling, ")  # steps not counted yet
    steps = [line for line in lines if re.match(r"  … (compiling|linking) \d", line)]
    counts = [re.match(r"  … \w+ (\d+)/(\d+), .* so far, (.* left)$", line) for line in steps]
    assert all(counts), steps
    # the lean build: llama.cpp's common library is not compiled (41 objects and 1 link)
    assert {int(c[2]) for c in counts if c} == {FILES + 1}
    done = [int(c[1]) for c in counts if c]
    assert done == sorted(done) and done[-1] == FILES + 1
    assert len(steps) >= 10  # a line for each tenth of the steps, each with the time left
    assert steps[-1].startswith(f"  … linking {FILES + 1}/{FILES + 1}, ")
    assert lines[-2].startswith("  … installing, ")
    assert lines[-1].startswith("installed in ")
    assert "Building C object" not in out  # pip's (here: the driver's) own output is logged
    assert not list((tmp_path / "build").rglob("*llama-common*"))
    assert list((tmp_path / "build").rglob("libllama.so"))


def test_a_failure_shows_pips_last_lines_and_keeps_its_log(tmp_path: Path) -> None:
    failing = "print('ERROR: No matching distribution found for nothing'); raise SystemExit(3)"
    process = install(tmp_path, sys.executable, "-c", failing, TMPDIR=str(tmp_path))
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 3
    *_, tail, last = out.splitlines()
    assert tail == "ERROR: No matching distribution found for nothing"
    match = re.fullmatch(r"the install failed \(pip exit code 3\); .* log is in (\S+)", last)
    assert match is not None, last
    assert "No matching distribution" in Path(match[1]).read_text()


def test_ctrl_c_lets_pip_clean_up_and_says_what_happens_next(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole foreground group; the wrapper waits for pip's cleanup."""
    cleaned = tmp_path / "cleaned"
    building = textwrap.dedent(f"""\
        import time
        print("Building wheel for llama-cpp-python (pyproject.toml): started", flush=True)
        print("[1/10] Building C object f0.c.o", flush=True)
        try:
            time.sleep(300)
        except KeyboardInterrupt:
            time.sleep(0.2)
            open({str(cleaned)!r}, "w").close()
            raise SystemExit(1)
        """)
    process = install(tmp_path, sys.executable, "-c", building)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("  … compiling 1/10"):
            break
    os.killpg(process.pid, signal.SIGINT)
    rest = process.stdout.read()
    assert process.wait(60) == 130
    assert cleaned.exists()
    assert rest.splitlines()[-1] == (
        "interrupted: the next make starts this step again (what was compiled is not kept)"
    )


@pytest.mark.parametrize(("readme", "lang"), [("README.md", "en"), ("README.zh-CN.md", "zh")])
def test_the_readmes_show_the_lines_as_printed(readme: str, lang: str) -> None:
    """Quick start's example: the two announcements and a progress line, as printed."""
    progress = BuildProgress()
    progress.feed("  *** Building project with Ninja...", 0.0)
    progress.feed("  [41/83] /usr/bin/g++ -c src/llama-model.cpp", 130.0)
    text = (REPO / readme).read_text(encoding="utf-8")
    try:
        set_language(lang)
        compile_line = t("install_compile", cpu=BUILD_CPU_MINUTES, wall=BUILD_IDLE_MINUTES)
        shown = [compile_line, t("install_ctrl_c_local"), progress_line(progress, 0.0, 130.0)]
    finally:
        set_language("en")
    for line in shown:
        assert f"\n{line}\n" in text, line
