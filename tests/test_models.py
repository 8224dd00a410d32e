"""`chatcli models pull/list/remove` against a loopback file server serving the bundled GGUF.

The catalogue entry is the test's own (CHATCLI_CATALOGUE): the SmolLM2 file the `local` extra
carries, under a made-up repository, with its real size and SHA-256. The downloads are real
HTTP over 127.0.0.1: Range requests, a cut connection, a stalled body, a wrong digest.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from chatcli.local import catalogue
from chatcli.local import server as local
from tests.conftest import CHATCLI, SCREEN_COLS, SCREEN_ROWS, clean_environ, run_chatcli
from tests.model_server import ModelServer

pytestmark = pytest.mark.local_extra
NAME = "smol-test"
REPO = "test/SmolLM2-GGUF"


@pytest.fixture(scope="module")
def gguf() -> Path:
    return local.bundled_model()


@pytest.fixture(scope="module")
def digest(gguf: Path) -> str:
    return hashlib.sha256(gguf.read_bytes()).hexdigest()


@pytest.fixture
def files(gguf: Path) -> Iterator[ModelServer]:
    server = ModelServer({gguf.name: gguf}).start()
    yield server
    server.stop()


def _catalogue(home: Path, gguf: Path, sha256: str | None) -> Path:
    path = home / "catalogue.json"
    entry = {"repo": REPO, "file": gguf.name, "size": gguf.stat().st_size, "sha256": sha256}
    path.write_text(json.dumps({NAME: entry}), encoding="utf-8")
    return path


@pytest.fixture
def env(isolated: Path, gguf: Path, digest: str) -> dict[str, str]:
    """No key anywhere, the data directory in the test's home, the test's catalogue entry."""
    return {
        **clean_environ(isolated),
        "CHATCLI_HOME": str(isolated / "data"),
        "CHATCLI_CATALOGUE": str(_catalogue(isolated, gguf, digest)),
        "TMPDIR": str(isolated),
    }


def models(env: dict[str, str]) -> Path:
    return Path(env["CHATCLI_HOME"]) / "models"


def pull(env: dict[str, str], files: ModelServer, *extra: str) -> tuple[int, str]:
    result = run_chatcli(
        env, "models", "pull", NAME, "--source", "huggingface", "--endpoint", files.endpoint, *extra
    )
    return result.returncode, result.stderr


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("chatcli:")]


def test_a_pull_installs_the_verified_file_privately(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    code, stderr = pull(env, files)
    assert code == 0, stderr
    installed = models(env) / gguf.name
    assert installed.read_bytes() == gguf.read_bytes()
    assert stat.S_IMODE(installed.stat().st_mode) == 0o600
    assert stat.S_IMODE(models(env).stat().st_mode) == 0o700
    assert not list(models(env).glob("*.part"))
    assert f"installed {NAME}" in stderr and "SHA-256 matches the catalogue" in stderr
    assert f"the offline mode now serves {NAME}" in stderr
    assert [(r.path, r.range) for r in files.log] == [(f"/{REPO}/resolve/main/{gguf.name}", None)]


def test_modelscope_is_asked_in_its_own_url_form(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    result = run_chatcli(
        {**env, "MODELSCOPE_ENDPOINT": files.endpoint}, "models", "pull", NAME, "--source",
        "modelscope",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert files.log[0].path == f"/models/{REPO}/resolve/master/{gguf.name}"


def test_a_cut_connection_resumes_with_a_range_request(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    cut = 3 * 1024 * 1024 + 17
    files.cut_at = cut
    code, stderr = pull(env, files)
    assert code == 1
    assert len(error_lines(stderr)) == 1, stderr
    assert "failed: the connection was cut; the 3.1 MB downloaded so far are kept: " in stderr
    assert "chatcli models pull smol-test resumes" in stderr
    part = models(env) / (gguf.name + ".part")
    assert part.stat().st_size == cut
    assert not (models(env) / gguf.name).exists()

    code, stderr = pull(env, files)
    assert code == 0, stderr
    assert [r.range for r in files.log] == [None, f"bytes={cut}-"]
    assert "resuming at" in stderr
    assert (models(env) / gguf.name).read_bytes() == gguf.read_bytes()
    assert not part.exists()


def test_a_wrong_checksum_installs_nothing_and_removes_the_part(
    env: dict[str, str], files: ModelServer, gguf: Path, isolated: Path
) -> None:
    env["CHATCLI_CATALOGUE"] = str(_catalogue(isolated, gguf, "0" * 64))
    code, stderr = pull(env, files)
    assert code == 1
    assert error_lines(stderr) == [
        f"chatcli: {gguf.name} of {NAME} failed verification (SHA-256 or size mismatch): not "
        "installed, the partial download is removed; try again or another --source"
    ]
    assert list(models(env).iterdir()) == []


def test_without_a_catalogue_digest_the_servers_lfs_digest_is_checked(
    env: dict[str, str], files: ModelServer, gguf: Path, isolated: Path, digest: str
) -> None:
    env["CHATCLI_CATALOGUE"] = str(_catalogue(isolated, gguf, None))
    files.digest = "f" * 64
    code, stderr = pull(env, files)
    assert code == 1 and "failed verification" in stderr
    assert list(models(env).iterdir()) == []

    files.digest = digest
    code, stderr = pull(env, files)
    assert code == 0 and "SHA-256 matches the server's LFS digest" in stderr
    assert [r.path.startswith("/cdn/") for r in files.log] == [False, True, False, True]


@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_is_one_line(env: dict[str, str], files: ModelServer, status: int) -> None:
    files.status = status
    code, stderr = pull(env, files)
    assert code == 1
    assert error_lines(stderr) == [
        f"chatcli: the server answered HTTP {status} for {files.endpoint}/{REPO}/resolve/main/"
        "SmolLM2-135M-Instruct.Q4_1.gguf"
    ]
    assert list(models(env).iterdir()) == []  # no empty part file left


def test_no_server_is_one_line(env: dict[str, str]) -> None:
    result = run_chatcli(env, "models", "pull", NAME, "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert line.startswith("chatcli: downloading http://127.0.0.1:9/")
    assert line.endswith(" failed: the connection was refused")
    assert "Traceback" not in result.stderr
    assert not models(env).exists() or list(models(env).iterdir()) == []


def test_an_unknown_name_lists_the_known_ones(env: dict[str, str]) -> None:
    result = run_chatcli(env, "models", "pull", "qwen9")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"chatcli: no model named qwen9; known: qwen2.5-0.5b, qwen2.5-1.5b, qwen3-0.6b, {NAME}"
    ]


def _wait_for_size(path: Path, size: int) -> None:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.stat().st_size >= size):
        assert time.monotonic() < deadline, f"{path} never reached {size} bytes"
        time.sleep(0.05)


def test_ctrl_c_keeps_the_part_and_says_the_next_pull_resumes(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    files.stall_at = 2 * 1024 * 1024
    child = pexpect.spawn(
        CHATCLI,
        ["models", "pull", NAME, "--endpoint", files.endpoint, "--source", "huggingface"],
        env=env,
        encoding="utf-8",
        dimensions=(SCREEN_ROWS, SCREEN_COLS),
        timeout=30,
    )
    part = models(env) / (gguf.name + ".part")
    _wait_for_size(part, files.stall_at)
    child.expect("MB")  # the progress bar is up
    child.sendintr()
    child.expect("interrupted: the 2.1 MB downloaded so far stay in")
    child.expect("chatcli models pull smol-test resumes")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert part.stat().st_size == files.stall_at
    files.release()

    code, stderr = pull(env, files)
    assert code == 0, stderr
    assert files.log[-1].range == f"bytes={files.stall_at}-"


def _install(env: dict[str, str], gguf: Path) -> Path:
    """A pulled model as `pull` leaves it (the pull itself is tested above)."""
    folder = models(env)
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    target = folder / gguf.name
    target.write_bytes(gguf.read_bytes())
    target.chmod(0o600)
    return target


def test_list_shows_the_installed_and_the_catalogue(env: dict[str, str], gguf: Path) -> None:
    empty = run_chatcli(env, "models", "list")
    assert empty.returncode == 0
    assert "no model pulled yet" in empty.stderr
    assert "qwen2.5-0.5b" in empty.stdout and "491.4 MB" in empty.stdout
    assert "no SHA-256" in empty.stdout

    target = _install(env, gguf)
    result = run_chatcli(env, "models")
    assert result.returncode == 0
    size = f"{gguf.stat().st_size / 1e6:.1f} MB"
    installed = [line for line in result.stdout.splitlines() if line.startswith("* ")]
    assert installed == [f"* {NAME}  {size:>9}  {target}  (offline default)"]
    assert re.search(rf"\n  {NAME} +{size}  {REPO}/{gguf.name}  \(pulled\)\n", result.stdout)
    chinese = run_chatcli(env, "--lang", "zh", "models", "list").stdout
    assert f"{target}  离线默认\n" in chinese
    assert "qwen2.5-0.5b-instruct-q4_k_m.gguf  无 SHA-256\n" in chinese


def test_remove_asks_off_a_terminal_refuses_and_with_yes_removes(
    env: dict[str, str], gguf: Path
) -> None:
    target = _install(env, gguf)
    refused = run_chatcli(env, "models", "remove", NAME)
    assert refused.returncode == 2
    assert error_lines(refused.stderr) == [
        "chatcli: not on a terminal: add --yes to delete without asking"
    ]
    assert target.exists()
    removed = run_chatcli(env, "models", "remove", NAME, "--yes")
    assert removed.returncode == 0 and f"deleted {NAME}" in removed.stderr
    assert not target.exists()
    again = run_chatcli(env, "models", "remove", NAME, "--yes")
    assert again.returncode == 2 and "is not installed" in again.stderr


def test_remove_on_a_terminal_takes_a_yes(env: dict[str, str], gguf: Path) -> None:
    target = _install(env, gguf)
    child = pexpect.spawn(CHATCLI, ["models", "remove", NAME], env=env, encoding="utf-8")
    child.expect(r"\[y/N\]")
    child.sendline("n")
    child.expect("not deleted")
    child.expect(pexpect.EOF)
    assert target.exists()
    child = pexpect.spawn(CHATCLI, ["models", "remove", NAME], env=env, encoding="utf-8")
    child.expect(r"\[y/N\]")
    child.sendline("y")
    child.expect(f"deleted {NAME}")
    child.expect(pexpect.EOF)
    assert not target.exists()


def test_help_in_both_languages(env: dict[str, str]) -> None:
    english = run_chatcli(env, "models", "--help")
    assert english.returncode == 0 and "Offline models: pull, list, remove" in english.stdout
    chinese = run_chatcli(env, "--lang", "zh", "models", "pull", "--help")
    assert chinese.returncode == 0
    assert "从哪里下载" in chinese.stdout and "用法" in chinese.stdout


def test_a_link_in_place_of_the_part_file_is_refused(
    env: dict[str, str], files: ModelServer, gguf: Path, isolated: Path
) -> None:
    victim = isolated / "victim"
    victim.write_text("keep me", encoding="utf-8")
    folder = models(env)
    folder.mkdir(parents=True, mode=0o700)
    (folder / (gguf.name + ".part")).symlink_to(victim)
    code, stderr = pull(env, files)
    assert code == 1
    assert len(error_lines(stderr)) == 1 and "symbolic link" in stderr
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_second_pull_of_the_same_model_at_once_is_refused(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    folder = models(env)
    folder.mkdir(parents=True, mode=0o700)
    with (folder / (gguf.name + ".part")).open("ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, stderr = pull(env, files)
    assert code == 1
    assert error_lines(stderr) == [
        f"chatcli: another chatcli is pulling {NAME} ({folder / gguf.name}.part): wait for it "
        "to end"
    ]
    assert files.log == []


def test_a_catalogue_name_not_pulled_is_one_line(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--local-model", "qwen3-0.6b", "hi")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "chatcli: the model qwen3-0.6b is not pulled yet: run chatcli models pull qwen3-0.6b"
    ]


def test_urls_sources_and_mirrors(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = catalogue.CATALOGUE["qwen2.5-0.5b"]
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv("MODELSCOPE_ENDPOINT", raising=False)
    assert catalogue.url(entry, "huggingface") == (
        "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/"
        "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    )
    assert catalogue.url(entry, "modelscope") == (
        "https://modelscope.cn/models/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/master/"
        "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    )
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com/")
    assert catalogue.url(entry, "huggingface").startswith("https://hf-mirror.com/Qwen/")
    assert catalogue.default_source("zh") == "modelscope"
    assert catalogue.default_source("en") == "huggingface"
    assert all(
        e.sha256 is None or catalogue.is_sha256(e.sha256) for e in catalogue.entries().values()
    )


@pytest.mark.local_model
def test_a_pulled_model_serves_the_offline_mode(
    env: dict[str, str], files: ModelServer, gguf: Path
) -> None:
    code, stderr = pull(env, files)
    assert code == 0, stderr
    result = run_chatcli(
        env, "--temperature", "0", "--max-tokens", "40", "What is the capital of France?",
        timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "no API key found — using the pulled offline model SmolLM2-135M-Instruct (set "
        in result.stderr
    )
    assert result.stdout.strip()


def test_the_setting_names_a_pulled_model_or_the_bundled_one(
    env: dict[str, str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("CHATCLI_HOME", "CHATCLI_CATALOGUE"):
        monkeypatch.setenv(key, env[key])
    assert catalogue.resolve(None) is None
    target = _install(env, gguf)
    assert catalogue.resolve(None) == target
    assert catalogue.resolve(Path(NAME)) == target
    assert catalogue.resolve(Path("bundled")) is None
    assert catalogue.resolve(Path("~/other.gguf")) == Path("~/other.gguf")
