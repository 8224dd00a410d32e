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
MODELS = "tests/test_models.py::"
CONSENT = "tests/test_consent.py::"
RUN = "tests/test_context_run.py::"
CONTEXT = "tests/test_context_safety.py::"
MCP = "tests/test_mcp.py::"
WAY_BACK = "tests/test_way_back.py::"
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
        "return UNSAFE.sub(_visible, text)",
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
        "/run's stop ends the shell only, not its process group",
        "src/chatcli/procgroup.py",
        "os.killpg(group, sig)",
        "os.kill(group, sig)",
        (RUN + "test_ctrl_c_stops_the_command_and_its_process_and_the_chat_goes_on",),
    ),
    Mutation(
        "what /run left in the background outlives chatcli's exit",
        "src/chatcli/procgroup.py",
        "atexit.register(_end_left)",
        "pass",
        (
            RUN + "test_what_run_left_in_the_background_ends_with_chatcli[exit]",
            RUN + "test_what_run_left_in_the_background_ends_with_chatcli[eof]",
        ),
    ),
    Mutation(
        "no watcher ends /run's group when chatcli is killed",
        "src/chatcli/procgroup.py",
        "watch(int(sys.argv[1]), int(sys.argv[2]))",
        "pass",
        (
            RUN + "test_what_run_left_in_the_background_ends_with_chatcli[SIGKILL]",
            RUN + "test_what_run_left_in_the_background_ends_with_chatcli[SIGTERM]",
        ),
    ),
    Mutation(
        "/run's output has no cap",
        "src/chatcli/procgroup.py",
        "if total > cap:",
        "if False:",
        (CONTEXT + "test_run_output_is_capped_at_exactly_5_mib",),
    ),
    Mutation(
        "folder walks and globs send secrets by name",
        "src/chatcli/attach.py",
        "if secretscan.named(path.name):",
        "if False:",
        (
            CONTEXT + "test_no_secret_reaches_the_server_from_a_folder_or_a_glob[proj/]",
            CONTEXT + "test_no_secret_reaches_the_server_from_a_folder_or_a_glob[proj/*]",
        ),
    ),
    Mutation(
        "folder walks and globs send files that hold a secret",
        "src/chatcli/attach.py",
        "kind = secretscan.found(text)",
        "kind = None",
        (
            CONTEXT + "test_no_secret_reaches_the_server_from_a_folder_or_a_glob[proj/]",
            CONTEXT + "test_no_secret_reaches_the_server_from_a_folder_or_a_glob[proj/*]",
        ),
    ),
    Mutation(
        "a file named on its own that holds a secret is sent without asking",
        "src/chatcli/attach.py",
        "if kind is not None and confirm is not None and not confirm(question):",
        "if False:",
        (CONTEXT + "test_a_file_named_on_its_own_that_holds_a_secret_is_read_only_after_a_yes",),
    ),
    Mutation(
        "--timeout bounds each read of a page, not the whole fetch",
        "src/chatcli/attach.py",
        "if time.monotonic() > deadline:",
        "if False:",
        (CONTEXT + "test_timeout_bounds_the_whole_fetch_not_each_read",),
    ),
    Mutation(
        "a redirect to another host is staged under the URL asked for",
        "src/chatcli/attach.py",
        "label = landed(url, final)",
        "label = url",
        (CONTEXT + "test_a_redirect_to_another_port_is_named_where_it_ended_up",),
    ),
    Mutation(
        "text hidden in a page reaches the model",
        "src/chatcli/attach.py",
        "html = visible_html(html)",
        "pass",
        (CONTEXT + "test_text_hidden_from_a_reader_does_not_reach_the_model",),
    ),
    Mutation(
        "a file name goes into its fence's header as it is",
        "src/chatcli/attach.py",
        'return f"{header(name)}\\n{marks}{language}\\n{text.rstrip()}\\n{marks}"',
        'return f"{name}\\n{marks}{language}\\n{text.rstrip()}\\n{marks}"',
        (CONTEXT + "test_a_file_name_cannot_break_its_fence",),
    ),
    Mutation(
        "an imported cost is not bounded",
        "src/chatcli/store/records.py",
        "cost: Decimal | None = Field(None, ge=0, le=MAX_COST, allow_inf_nan=False)",
        "cost: Decimal | None = Field(None, ge=0, allow_inf_nan=False)",
        (CONTEXT + "test_numbers_out_of_range_are_refused_on_import_in_one_line",),
    ),
    Mutation(
        "an imported token count is not bounded",
        "src/chatcli/store/records.py",
        "tokens: int | None = Field(None, ge=0, le=MAX_COUNT)",
        "tokens: int | None = Field(None, ge=0)",
        (CONTEXT + "test_numbers_out_of_range_are_refused_on_import_in_one_line",),
    ),
    Mutation(
        "stats take a stored cost as it is",
        "src/chatcli/store/stats.py",
        "amount = bounded_cost(cost)",
        "amount = Decimal(cost) if cost is not None else None",
        (CONTEXT + "test_a_database_written_by_someone_else_never_crashes_its_readers",),
    ),
    Mutation(
        "a conversation loads a stored cost as it is",
        "src/chatcli/store/database.py",
        "cost=bounded_cost(m[14]),",
        "cost=m[14],",
        (CONTEXT + "test_a_database_written_by_someone_else_never_crashes_its_readers",),
    ),
    Mutation(
        "a command that fails unexpectedly ends the session",
        "src/chatcli/terminal/repl.py",
        'self.ctx.out.error(t("command_failed", name="/" + name, reason=reason))',
        "raise",
        (CONTEXT + "test_a_command_that_fails_unexpectedly_is_one_line_and_the_repl_lives",),
    ),
    Mutation(
        "the error classifier trips on a half-imported openai",
        "src/chatcli/errors.py",
        'getattr(sys.modules.get("openai"), "OpenAIError", None),',
        'sys.modules["openai"].OpenAIError,',
        (CONTEXT + "test_the_error_classifier_survives_a_half_imported_openai",),
    ),
    Mutation(
        "a test that fails leaves what it started running",
        "tests/conftest.py",
        "os.kill(pid, signal.SIGKILL)",
        "pass",
        ("tests/test_reaper.py",),
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
            MODELS + "test_a_link_in_place_of_the_part_file_is_refused",
        ),
    ),
    Mutation(
        "a pulled model is installed without its SHA-256 check",
        "src/chatcli/local/download.py",
        "if size != entry.size or (expected is not None and digest != expected):",
        "if size != entry.size:",
        (
            MODELS + "test_a_wrong_checksum_installs_nothing_and_removes_the_part",
            MODELS + "test_without_a_catalogue_digest_the_servers_lfs_digest_is_checked",
        ),
    ),
    Mutation(
        "a resumed pull asks for the file from its start",
        "src/chatcli/local/download.py",
        'headers = {"Range": f"bytes={offset}-"} if offset else {}',
        'headers = {"Range": "bytes=0-"} if offset else {}',
        (MODELS + "test_a_cut_connection_resumes_with_a_range_request",),
    ),
    Mutation(
        "a choice index is not bounded by n",
        "src/chatcli/conversation/wire.py",
        "if value is None or not 0 <= value < n:",
        "if value is None or value < 0:",
        ("tests/test_wire.py::test_index_is_bounded_by_n",),
    ),
    Mutation(
        "a question takes keys typed before it was drawn",
        "src/chatcli/terminal/question.py",
        "discard_typeahead(keys)",
        "pass",
        (
            CONSENT + "test_keys_typed_before_a_tool_question_never_answer_it",
            CONSENT + "test_keys_typed_before_the_secret_file_question_never_answer_it",
            CONSENT + "test_keys_sent_with_delete_never_answer_it_and_enter_means_no",
        ),
    ),
    Mutation(
        "a question takes keys in its first moment on screen",
        "src/chatcli/terminal/question.py",
        "return [press for press in presses if press.key in _PASS]",
        "return presses",
        (CONSENT + "test_keys_in_the_questions_first_moment_are_discarded",),
    ),
    Mutation(
        "Enter means yes at the REPL's yes/no question",
        "src/chatcli/terminal/question.py",
        "return answer.strip().lower() in YES",
        'return answer.strip().lower() in YES | {""}',
        (CONSENT + "test_keys_sent_with_delete_never_answer_it_and_enter_means_no",),
    ),
    Mutation(
        "an approval is keyed by the bare tool name, not (server, tool)",
        "src/chatcli/tools/runner.py",
        "return tool.key in self.approved",
        "return tool.own in {own for _, own in self.approved}",
        (CONSENT + "test_one_tool_name_on_two_servers_is_approved_per_server",),
    ),
    Mutation(
        "a tool name two servers offer goes to the first",
        "src/chatcli/tools/runner.py",
        "taken |= {name for name, count in offered.items() if count > 1}",
        "pass",
        (CONSENT + "test_one_tool_name_on_two_servers_is_approved_per_server",),
    ),
    Mutation(
        "a bare --yes-tool is judged by the tools on offer at each call",
        "src/chatcli/tools/runner.py",
        "return tool.key in self.approved",
        "return tool.key in self.approved or (tool.own in self.bare and "
        "[t.own for t in self.tools.values()].count(tool.own) == 1)",
        (CONSENT + "test_a_bare_name_refused_as_ambiguous_stays_refused_when_a_server_dies",),
    ),
    Mutation(
        "pre-approval of one tool approves every tool",
        "src/chatcli/tools/runner.py",
        "return tool.key in self.approved",
        "return bool(self.approved)",
        (CONSENT + "test_an_unlisted_tool_still_asks",),
    ),
    Mutation(
        "a command's line breaks are not shown",
        "src/chatcli/terminal/consent.py",
        "f\"{number:>{digits}} │ {clean(line)}{'⏎' if number < len(lines) else ''}\"",
        "clean(line)",
        (CONSENT + "test_a_command_taller_than_the_screen_is_seen_whole_before_it_can_run",),
    ),
    Mutation(
        "a command taller than the screen can be approved unseen",
        "src/chatcli/terminal/consent.py",
        "pages = [rows[start : start + room] for start in range(0, len(rows), room)]",
        "pages = [rows[-room:]]",
        (CONSENT + "test_a_command_taller_than_the_screen_is_seen_whole_before_it_can_run",),
    ),
    Mutation(
        "prompt_toolkit draws the edited buffer raw",
        "src/chatcli/terminal/clean_session.py",
        "spans = shown_spans(fragment_list_to_text(chars))",
        "spans = []",
        (CONSENT + "test_the_edit_line_and_prompts_draw_nothing_raw",),
    ),
    Mutation(
        "prompt_toolkit draws a question's message raw",
        "src/chatcli/terminal/clean_session.py",
        "super().__init__(cleaned(message), **self._clean(options))",
        "super().__init__(message, **options)",
        (CONSENT + "test_the_edit_line_and_prompts_draw_nothing_raw",),
    ),
    Mutation(
        "the built-in tool has no time limit",
        "src/chatcli/tools/builtin.py",
        "status = process.wait(timeout)",
        "status = process.wait()",
        (CONSENT + "test_a_command_past_its_time_limit_is_stopped_with_its_group",),
    ),
    Mutation(
        "what the built-in tool left in the background outlives chatcli",
        "src/chatcli/tools/builtin.py",
        "left = procgroup.hand_over(process.pid)",
        "left = False",
        (
            "tests/test_tools_terminal.py::test_what_the_tool_left_in_the_background_ends_with_chatcli",
        ),
    ),
    Mutation(
        "the MCP guard leaves what the server started when the server exits",
        "src/chatcli/tools/guard.py",
        "end_group()  # what the server started must not outlive it",
        "pass",
        (MCP + "test_what_a_server_started_ends_with_chatcli",),
    ),
    Mutation(
        "the MCP guard does not watch chatcli",
        "src/chatcli/tools/guard.py",
        "threading.Thread(target=end_group_when_orphaned, args=(parent,), daemon=True).start()",
        "pass",
        (MCP + "test_a_server_deaf_to_eof_and_sigterm_still_ends",),
    ),
    Mutation(
        "the MCP guard sends SIGTERM only",
        "src/chatcli/tools/guard.py",
        "os.killpg(group, signal.SIGKILL)  # this guard too: nothing is left to do",
        "break",
        (MCP + "test_a_server_deaf_to_eof_and_sigterm_still_ends",),
    ),
    Mutation(
        "a dead MCP server's tools stay offered",
        "src/chatcli/tools/mcp_client.py",
        'return self.entries is not None and self.state in ("idle", "starting", "ready")',
        "return self.entries is not None",
        (MCP + "test_a_server_killed_mid_session_goes_with_its_tools_and_restarts",),
    ),
    Mutation(
        "MCP tool lists are not recalled from the store",
        "src/chatcli/tools/mcp_client.py",
        "server.entries = self.cache.recall(server.key)",
        "pass",
        (MCP + "test_remembered_tools_go_out_at_once_and_a_call_starts_the_server",),
    ),
    Mutation(
        "the MCP SDK's log of stdout garbage reaches the screen",
        "src/chatcli/tools/mcp_client.py",
        'logging.getLogger("mcp").addHandler(logging.NullHandler())',
        "pass",
        (MCP + "test_garbage_on_a_servers_stdout_is_one_line",),
    ),
    Mutation(
        "a huge reply stays live markdown (no plain-text switch)",
        "src/chatcli/terminal/render.py",
        'cut = text.find("\\n") + 1 if self._received > PLAIN_AFTER else 0',
        "cut = 0",
        (WAY_BACK + "test_a_huge_reply_goes_plain_with_a_notice_and_shows_all_its_text",),
    ),
    Mutation(
        "Ctrl-C before the first word forgets the question",
        "src/chatcli/terminal/repl.py",
        "self.ctx.failed = content if outcome.unsent else None",
        "self.ctx.failed = content if outcome.error is not None else None",
        (WAY_BACK + "test_ctrl_c_before_the_first_word_keeps_the_question_for_retry",),
    ),
    Mutation(
        "Ctrl-C at a tool question keeps the reply's text twice",
        "src/chatcli/conversation/bot.py",
        "self._asked = True",
        "pass",
        ("tests/test_tools_terminal.py::test_ctrl_c_at_the_question_keeps_the_replys_text_once",),
    ),
    Mutation(
        "a reply cut mid-stream is not kept",
        "src/chatcli/terminal/exchange.py",
        "cut = turn.receiving and bool(turn.partial_text.strip())",
        "cut = False",
        (WAY_BACK + "test_a_dropped_connection_keeps_the_text_shown_and_continue_goes_on",),
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
    Mutation(
        "file names offered by Tab reach prompt_toolkit uncleaned",
        "src/chatcli/terminal/prompt.py",
        "display=sink.clean(found.display_text),",
        "display=found.display_text,",
        ("tests/test_i18n_finish.py::test_tab_completes_paths_after_file",),
    ),
    Mutation(
        ".env.example's key line is live: a copy sends the placeholder key",
        ".env.example",
        "# OPENAI_API_KEY=sk-your-key-here",
        "OPENAI_API_KEY=sk-your-key-here",
        ("tests/test_i18n_finish.py::test_a_copied_env_example_sends_no_placeholder_key",),
    ),
)


def copy_repo(into: Path) -> None:
    for name in ("src", "tests"):
        shutil.copytree(
            ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    for name in ("pyproject.toml", ".env.example"):
        shutil.copy2(ROOT / name, into / name)


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
