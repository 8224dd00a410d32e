"""`make mutants`: each safety mechanism the README promises, removed in turn, must fail a test.

Every mutation replaces one exact line (compared without its indentation, which the
replacement keeps) in a fresh temporary copy of src/ and tests/, then runs the tests named
for it there, with PYTHONPATH on the copy (the installed `chatcli` then runs the copy too).
A mutation is KILLED when those tests fail, SURVIVED when they pass. An anchor line that is
not in the code (or is there twice) is reported as ANCHOR MISSING, apart from a survivor;
as TODO when the mutation waits for code still on another branch (`todo` names it).
Before any mutation the union of the tests must pass on an unchanged copy.

    python tests/mutants.py [--list] [NAME...]

Exit status: 0 when every mutation that could be applied was killed and no anchor is missing
outside the TODO entries, 1 otherwise, 2 when the unchanged copy already fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETY = "tests/test_safety.py::"
LOCAL = "tests/test_local_model.py::"
TRUST = "tests/test_trust.py::"
SHORT = "tests/test_short_attempt.py::"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    anchor: str
    replacement: str
    tests: tuple[str, ...]
    todo: str = ""


MUTATIONS = (
    Mutation(
        "neutralise returns its input",
        "src/chatcli/terminal/sanitize.py",
        "return _UNSAFE.sub(_visible, text)",
        "return text",
        (SAFETY + "test_hostile_reply_is_inert_on_the_terminal",),
    ),
    Mutation(
        "the terminal sink writes segments unneutralised",
        "src/chatcli/terminal/sink.py",
        "yield Segment(neutralise(text), style)",
        "yield Segment(text, style)",
        (SAFETY + "test_hostile_reply_is_inert_on_the_terminal", "tests/test_sink.py"),
    ),
    Mutation(
        "--show-config shows the whole key",
        "src/chatcli/terminal/sink.py",
        'return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 20 else "…"',
        "return secret",
        ("tests/test_config.py",),
    ),
    Mutation(
        "a key echoed by the server is not masked (screen, --json-output)",
        "src/chatcli/terminal/sink.py",
        "text = text.replace(secret, mask_secret(secret))",
        "pass",
        (SAFETY + "test_api_key_never_shown_or_stored", SAFETY + "test_key_in_json_output_masked"),
    ),
    Mutation(
        "--debug log unredacted",
        "src/chatcli/terminal/logs.py",
        "handler.addFilter(Redactor())",
        "pass",
        (SAFETY + "test_debug_logs_requests_without_the_key",),
    ),
    Mutation(
        "an existing file keeps its mode when overwritten",
        "src/chatcli/config/paths.py",
        "if stat.S_ISREG(os.fstat(fd).st_mode):",
        "if False:",
        (SAFETY + "test_files_are_private", SAFETY + "test_overwritten_files_become_private"),
    ),
    Mutation(
        "the llama.cpp child does not watch for chatcli's end",
        "src/chatcli/local/child.py",
        "watch_parent(int(argv[0]))",
        "pass",
        (LOCAL + "test_server_ends_when_chatcli_is_killed",),
    ),
    Mutation(
        "the llama.cpp child asks no parent-death signal (the watcher alone)",
        "src/chatcli/local/child.py",
        "ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)",
        "pass",
        ("tests/test_audit_local.py",),
    ),
    Mutation(
        "the local server's key is fixed, not per run",
        "src/chatcli/local/server.py",
        "api_key = secrets.token_urlsafe(24)",
        'api_key = "chatcli-local-key"',
        (LOCAL + "test_each_local_server_has_its_own_key",),
    ),
    Mutation(
        "the local server's key on its command line",
        "src/chatcli/local/server.py",
        '*("--host", "127.0.0.1", "--port", str(port)),',
        '*("--host", "127.0.0.1", "--port", str(port), "--api_key", api_key),',
        (LOCAL + "test_the_server_wants_its_per_run_key",),
    ),
    Mutation(
        "a Chinese question gets the bundled model's full 512 tokens (no short attempt)",
        "src/chatcli/local/server.py",
        "return Attempt(min(SHORT_ATTEMPT, max_tokens), SHORT_ATTEMPT_STOP)",
        "return None",
        (
            SHORT + "test_chinese_gets_a_short_attempt_and_english_the_normal_limit",
            SHORT + "test_the_bundled_model_answers_chinese_briefly",
        ),
    ),
    Mutation(
        "a link style becomes an OSC 8 hyperlink",
        "src/chatcli/terminal/sink.py",
        "style = style.update_link(None)",
        "pass",
        ("tests/test_sink.py::test_a_link_style_never_becomes_an_osc8_hyperlink",),
    ),
    Mutation(
        "/copy puts the model's raw text on the clipboard",
        "src/chatcli/terminal/sink.py",
        'payload = base64.b64encode(clean(text).encode("utf-8")).decode("ascii")',
        'payload = base64.b64encode(text.encode("utf-8")).decode("ascii")',
        ("tests/test_sink.py::test_clipboard_payload_is_neutralised",),
    ),
    Mutation(
        "a key split across two chunks is not held back",
        "src/chatcli/terminal/sink.py",
        "cut = min(cut, start)",
        "pass",
        (
            "tests/test_sink.py::test_a_key_split_across_chunks_is_masked_in_raw_and_rendered_output",
        ),
    ),
    Mutation(
        "only the chosen key is masked, not the providers' key variables",
        "src/chatcli/terminal/sink.py",
        "keys.append(os.environ.get(provider.api_key_env))",
        "pass",
        ("tests/test_sink.py::test_every_configured_key_is_masked",),
    ),
    Mutation(
        "a .env here may send the environment's key to its server",
        "src/chatcli/config/settings.py",
        'if settings.api_key is None or key.kind == "dotenv" or os.environ.get(TRUST_DOTENV) == "1":',  # noqa: E501
        "if True:",
        (
            TRUST + "test_a_dotenv_here_cannot_send_the_environments_key_to_its_server",
            TRUST + "test_a_dotenv_here_cannot_switch_the_environments_key_to_another_provider",
        ),
    ),
    Mutation(
        "a key keeps its Windows line end",
        "src/chatcli/config/settings.py",
        "key = value.get_secret_value().strip()",
        "key = value.get_secret_value()",
        (TRUST + "test_a_key_saved_with_a_windows_line_end_still_works",),
    ),
    Mutation(
        "chatcli's own files are opened through a link",
        "src/chatcli/config/paths.py",
        "fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, 0o600)",
        "fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY, 0o600)",
        (
            TRUST + "test_a_link_in_place_of_the_database_is_refused_and_the_chat_goes_on",
            TRUST + "test_a_link_in_place_of_the_input_history_is_refused_and_the_message_sent",
        ),
    ),
    Mutation(
        "a choice index is not bounded by n",
        "src/chatcli/conversation/wire.py",
        "if value is None or not 0 <= value < n:",
        "if value is None or value < 0:",
        ("tests/test_wire.py::test_index_is_bounded_by_n",),
    ),
    Mutation(
        "an unwritable data directory is not caught (history)",
        "src/chatcli/terminal/prompt.py",
        'problem = history_off(exc, Path(exc.filename or "input_history"))',
        "raise",
        (SAFETY + "test_unwritable_data_dir_still_chats",),
    ),
    Mutation(
        "an unwritable data directory is not caught (conversations)",
        "src/chatcli/store/database.py",
        "raise StoreError(where, os_reason(exc)) from None",
        "raise",
        (SAFETY + "test_unwritable_data_dir_still_chats",),
    ),
)


def copy_repo(into: Path) -> None:
    for name in ("src", "tests"):
        shutil.copytree(
            ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    shutil.copy2(ROOT / "pyproject.toml", into / "pyproject.toml")


def anchor_line(mutation: Mutation, repo: Path) -> tuple[int, str]:
    """The index of the one anchor line, or -1 and why there is none."""
    path = repo / mutation.path
    if not path.is_file():
        return -1, f"{mutation.path} does not exist"
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [i for i, line in enumerate(lines) if line.strip() == mutation.anchor]
    if len(found) != 1:
        return -1, f"{len(found)} lines in {mutation.path} read {mutation.anchor!r}"
    return found[0], ""


def apply(mutation: Mutation, repo: Path, index: int) -> None:
    path = repo / mutation.path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    lines[index] = indent + mutation.replacement + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def run_tests(repo: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(repo / "src"), str(repo)])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these mutations (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    if args.list or not chosen:
        for mutation in MUTATIONS:
            todo = f", TODO {mutation.todo}" if mutation.todo else ""
            print(f"{mutation.name}  ({mutation.path}{todo})")
        return 0 if args.list else 1
    results: list[tuple[Mutation, str, str]] = []
    applicable = []
    for mutation in chosen:
        index, why = anchor_line(mutation, ROOT)
        if index < 0:
            verdict = f"TODO ({mutation.todo})" if mutation.todo else "ANCHOR MISSING"
            results.append((mutation, verdict, why))
        else:
            applicable.append((mutation, index))
    with tempfile.TemporaryDirectory(prefix="chatcli-mutants-") as tmp:
        pristine = Path(tmp) / "pristine"
        copy_repo(pristine)
        union = tuple(dict.fromkeys(t for m, _ in applicable for t in m.tests))
        baseline = run_tests(pristine, union)
        if baseline.returncode != 0:
            print(baseline.stdout[-3000:] + baseline.stderr[-2000:])
            print("the unchanged copy already fails these tests: fix that first")
            return 2
        for mutation, index in applicable:
            repo = Path(tmp) / "mutant"
            shutil.rmtree(repo, ignore_errors=True)
            copy_repo(repo)
            apply(mutation, repo, index)
            outcome = run_tests(repo, mutation.tests)
            verdict = {0: "SURVIVED", 1: "KILLED"}.get(outcome.returncode, "ERROR")
            last = (outcome.stdout.strip().splitlines() or [""])[-1]
            results.append((mutation, verdict, last))
            print(f"{verdict:<15} {mutation.name}: {last}", flush=True)
    for mutation, verdict, why in results:
        if verdict.startswith(("TODO", "ANCHOR")):
            print(f"{verdict:<15} {mutation.name}: {why}")
    bad = [m.name for m, verdict, _ in results if not verdict.startswith(("KILLED", "TODO"))]
    print(f"{len(results)} mutations; not killed: {', '.join(bad) or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
