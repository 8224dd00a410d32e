"""MCP servers: the real `mcp-server-time` over stdio answering a loopback model, and the
tests' own server (tests/mcp_server.py) for slow, hanging, crashing, huge and hostile tools;
servers that fail say why in one line and the chat goes on; stdio servers never outlive
chatcli, however it ends."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import Terminal, run_chatcli, start_chatcli
from tests.fake_server import Behaviour, FakeOpenAI, Gate
from tests.test_tools_terminal import running_in_group

Start = Callable[..., Terminal]
OWN = str(Path(__file__).with_name("mcp_server.py"))


def calls(name: str, arguments: dict[str, Any] | None = None) -> Behaviour:
    text = json.dumps(arguments or {})
    return Behaviour(reply="", tool_calls=[{"id": "call_1", "name": name, "arguments": text}])


def mcp_file(home: Path, state: Path | None = None, **extra: Any) -> str:
    """An mcpServers file with the time server and the tests' own server."""
    env = {"MCP_TEST_STATE": str(state or home)}
    servers = {
        "time": {
            "command": sys.executable,
            "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
        },
        "own": {"command": sys.executable, "args": [OWN], "env": env, **extra},
    }
    path = home / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return str(path)


def poll(done: Callable[[], bool]) -> bool:
    """Whether `done()` came true within 30 s (looked at every 50 ms): a state to wait for."""
    deadline = time.monotonic() + 30
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_real_time_server_tells_the_time_in_shanghai(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("get_current_time", {"timezone": "Asia/Shanghai"}))
    result = run_chatcli(
        env,
        *("--mcp-config", mcp_file(isolated), "--mcp", "time"),
        *("--yes-tool", "get_current_time", "what time is it in Shanghai?"),
    )
    assert result.returncode == 0, result.stderr
    assert "get_current_time" in [t["function"]["name"] for t in server.chat_requests[0]["tools"]]
    answer = json.loads(result.stdout.removeprefix("Echo: "))
    assert answer["timezone"] == "Asia/Shanghai" and answer["datetime"].endswith("+08:00")
    assert "waiting for MCP servers to start: time" in result.stderr
    assert "⚙ time.get_current_time →" in result.stderr


def test_a_huge_result_is_capped_and_the_model_told(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("big"))
    result = run_chatcli(
        env, "--mcp-config", mcp_file(isolated), "--mcp", "own", "--yes-tool", "big", "go"
    )
    assert result.returncode == 0, result.stderr
    sent = server.chat_requests[-1]["messages"][-1]["content"]
    assert len(sent.encode()) < 33 * 1024
    assert "more bytes dropped: results are capped at 32768 bytes" in sent


def test_hostile_results_are_neutralised(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("hostile"))
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own", "--yes-tool", "hostile")
    term.prompt()
    term.send("go")
    term.expect("own.hostile →")
    term.expect("tokens")
    term.prompt()
    term.send("/tool 1")
    term.expect("<U\\+202C> end")
    term.quit()
    shown = term.transcript()
    assert "\x1b]0;pwned" not in shown and "\u202e" not in shown


def test_a_server_that_fails_to_start_says_why_and_the_chat_goes_on(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    config = mcp_file(isolated, env={"MCP_TEST_FAIL_START": "1", "MCP_TEST_STATE": str(isolated)})
    term = terminal("--mcp-config", config, "--mcp", "own")
    term.prompt()
    term.send("hi")
    term.expect("MCP server own is unavailable; the chat goes on without its tools")
    term.expect("cannot open the test database")
    term.expect("Echo: hi")
    assert "tools" not in server.chat_requests[-1]
    term.prompt()
    term.send("/tools")
    term.expect("MCP server own: failed")
    term.quit()


def test_a_crash_mid_call_is_one_line_and_the_chat_goes_on(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("crash"))
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own", "--yes-tool", "crash")
    term.prompt()
    term.send("go")
    term.expect("the MCP server failed")
    term.expect("Echo: error: the MCP server failed")
    term.chat("still here")
    term.prompt()
    term.send("/tools")
    term.expect("MCP server own: failed")
    term.quit()


def test_a_hanging_tool_is_cut_at_its_time_limit(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("hang"))
    config = mcp_file(isolated, timeout=1)
    result = run_chatcli(env, "--mcp-config", config, "--mcp", "own", "--yes-tool", "hang", "go")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Echo: error: no result within 1 s")


def test_ctrl_c_cancels_a_slow_call_and_the_chat_lives(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("slow", {"seconds": 30}))
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own", "--yes-tool", "slow")
    term.prompt()
    term.send("go")
    assert poll((isolated / "slow-started").exists)
    term.child.sendintr()
    term.expect("Echo: error: cancelled by the user")
    term.chat("after")
    term.quit()


@pytest.mark.parametrize("how", ["exit", "eof", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_stdio_servers_never_outlive_chatcli(
    terminal: Start, server: FakeOpenAI, isolated: Path, how: str
) -> None:
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own")
    term.prompt()
    assert poll((isolated / "pid").exists)
    pid = int((isolated / "pid").read_text())
    group = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2]
    assert running_in_group(int(group))
    if how == "exit":
        term.send("退出")
    elif how == "eof":
        term.child.sendeof()
    else:
        term.child.kill(getattr(signal, how))
    term.child.expect(pexpect.EOF, timeout=20)
    # the guard looks for its parent every 0.2 s, then ends the group
    assert poll(lambda: not running_in_group(int(group)))


def test_toml_servers_are_listed_with_their_tools(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    config = isolated / ".config" / "chatcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    args = json.dumps(["-m", "mcp_server_time", "--local-timezone", "UTC"])
    config.write_text(
        f"[mcp.servers.clock]\ncommand = {json.dumps(sys.executable)}\nargs = {args}\n"
        'auto_approve = ["get_current_time"]\n',
        encoding="utf-8",
    )
    server.expect(calls("get_current_time", {"timezone": "Asia/Shanghai"}))
    term = terminal()
    term.prompt()
    term.send("time?")
    term.expect("clock.get_current_time →")  # approved in the config: not asked
    term.expect("Asia/Shanghai")
    term.prompt()
    term.send("/tools")
    term.expect("MCP server clock: ready")
    term.expect(r"clock · get_current_time\s+on\s+\(runs without asking\)")
    term.quit()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--mcp-config", "/nonexistent.json"], "/nonexistent.json"),
        (["--mcp", "nope"], "--mcp nope: no such MCP server"),
    ],
)
def test_bad_mcp_flags_are_one_line(env: dict[str, str], args: list[str], said: str) -> None:
    result = run_chatcli(env, *args, "hi")
    assert result.returncode == 2
    assert said in result.stderr and "Traceback" not in result.stderr


def test_servers_start_after_the_prompt_is_drawn(terminal: Start, isolated: Path) -> None:
    """With two servers configured, the import log (stderr, same terminal) shows the prompt
    came before `mcp` loaded; the servers start once the editor is up."""
    term = terminal("--mcp-config", mcp_file(isolated), extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    term.child.expect(r"gpt-4o> ")
    before_prompt = str(term.child.before)
    assert re.search(r"\|\s+chatcli\.config\.settings\r?\n", before_prompt)  # the log is there
    assert "| mcp" not in before_prompt and "prompt_toolkit" not in before_prompt
    term.child.expect(r"\|\s+mcp\r?\n")  # in the background, once the editor drew
    assert poll((isolated / "pid").exists)
    term.child.sendcontrol("d")
    assert term.exit_status() == 0


def offered(request: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in request.get("tools", [])]


def alive(pid: int) -> bool:
    """Whether the process is there and not a zombie (nothing may reap orphans here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def own_env(state: Path, **modes: str) -> dict[str, Any]:
    """The tests' own server's settings in an mcpServers file, with test modes (MCP_TEST_*)."""
    return {"env": {"MCP_TEST_STATE": str(state), **modes}}


def learn(env: dict[str, str], isolated: Path) -> None:
    """One one-shot question with the tests' own server: its tool list goes into the store."""
    result = run_chatcli(env, "--mcp-config", mcp_file(isolated), "--mcp", "own", "learn")
    assert result.returncode == 0, result.stderr
    assert "waiting for MCP servers to start: own" in result.stderr  # never seen: waited for
    (isolated / "pid").unlink()


def test_remembered_tools_go_out_at_once_and_a_call_starts_the_server(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    """The list is remembered: the request goes out while the (slow) server is not even
    started; the model's call starts it, and runs."""
    learn(env, isolated)
    gate = Gate(after=0)
    held = calls("slow", {"seconds": 0})
    server.expect(replace(held, hold=gate))
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_START_DELAY="2"))
    child = start_chatcli(env, "--mcp-config", config, "--mcp", "own", "--yes-tool", "slow", "go")
    try:
        assert poll(lambda: len(server.chat_requests) == 2)  # learn's, then this one's
        assert "slow" in offered(server.chat_requests[1])
        assert not (isolated / "pid").exists()  # the request did not wait for the server
    finally:
        gate.open()
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert (isolated / "pid").exists()  # the call started it
    assert out.decode().startswith("Echo: slept 0")
    assert "waiting for MCP servers" not in err.decode()


def test_a_remembered_tool_that_vanished_is_a_clear_error_and_the_list_is_fixed(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    learn(env, isolated)
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_HIDE="slow"))
    server.expect(calls("slow", {"seconds": 0}))
    args = ("--mcp-config", config, "--mcp", "own", "--yes-tool", "slow")
    result = run_chatcli(env, *args, "go")
    assert result.returncode == 0, result.stderr
    assert "slow" in offered(server.chat_requests[1])  # remembered
    assert "no longer offers slow" in result.stdout  # the tool error the model got
    assert "slow" not in offered(server.chat_requests[2]) and "big" in offered(
        server.chat_requests[2]
    )
    again = run_chatcli(env, *args, "again")  # the store has the list as it is now
    assert again.returncode == 0, again.stderr
    assert "slow" not in offered(server.chat_requests[3]) and "big" in offered(
        server.chat_requests[3]
    )


def test_a_server_killed_mid_session_goes_with_its_tools_and_restarts(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own")
    term.prompt()
    term.send("/tools")
    term.expect("MCP server own: ready")
    pid = int((isolated / "pid").read_text())
    term.prompt()
    os.kill(pid, signal.SIGKILL)
    term.expect("MCP server own stopped; its tools are withdrawn")  # at once, at the prompt
    term.expect("/tools restart own")
    term.send("hi")
    term.expect("Echo: hi")
    assert "slow" not in offered(server.chat_requests[-1])
    term.prompt()
    term.send("/tools")
    term.expect("MCP server own: failed")
    term.prompt()
    term.send("/tools restart own")
    term.expect("MCP server own: ready")
    term.chat("again")
    assert "slow" in offered(server.chat_requests[-1])
    term.quit()


@pytest.mark.parametrize("how", ["exit", "SIGKILL"])
def test_what_a_server_started_ends_with_chatcli(
    terminal: Start, server: FakeOpenAI, isolated: Path, how: str
) -> None:
    """The server exits on stdin's EOF (or is ended when chatcli is killed); the `sleep` it
    started goes too."""
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_CHILD="1"))
    term = terminal("--mcp-config", config, "--mcp", "own")
    term.prompt()
    assert poll((isolated / "child").exists)
    child = int((isolated / "child").read_text())
    assert alive(child)
    if how == "exit":
        term.send("/exit")
    else:
        term.child.kill(signal.SIGKILL)
    term.child.expect(pexpect.EOF, timeout=20)
    assert poll(lambda: not alive(child))


def test_a_server_deaf_to_eof_and_sigterm_still_ends(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    """Only the guard's watch on chatcli can end this one: quitting does not wait for it."""
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_STUBBORN="1"))
    term = terminal("--mcp-config", config, "--mcp", "own")
    term.prompt()
    term.send("/tools")
    term.expect("MCP server own: ready")
    pid = int((isolated / "pid").read_text())
    term.prompt()
    term.send("/exit")
    term.child.expect(pexpect.EOF, timeout=20)
    assert poll(lambda: not alive(pid))


def test_quitting_while_a_server_starts_leaves_nothing(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_START_DELAY="60"))
    term = terminal("--mcp-config", config, "--mcp", "own")
    term.prompt()
    assert poll((isolated / "pid").exists)  # starting, and far from ready
    pid = int((isolated / "pid").read_text())
    term.send("/exit")
    assert term.exit_status() == 0 and not term.child.isalive()
    assert poll(lambda: not alive(pid))


def test_garbage_on_a_servers_stdout_is_one_line(
    terminal: Start, env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    config = mcp_file(isolated, **own_env(isolated, MCP_TEST_GARBAGE="1"))
    term = terminal("--mcp-config", config, "--mcp", "own")
    term.prompt()
    term.send("hi")
    term.expect("MCP server own wrote something that is not MCP on its output; ignored")
    term.expect("Echo: hi")
    assert "slow" in offered(server.chat_requests[-1])  # the server works all the same
    term.quit()
    shown = term.transcript()
    assert "Traceback" not in shown and "JSONRPC" not in shown
    server.expect(calls("hostile"))  # the list is remembered now: a call starts the server
    args = ("--debug", "--mcp-config", config, "--mcp", "own", "--yes-tool", "hostile")
    debug = run_chatcli(env, *args, "hi")
    assert debug.returncode == 0, debug.stderr
    assert "Failed to parse JSONRPC message" in debug.stderr  # the details, in the debug log
    assert "wrote what is not MCP on stdout" in debug.stderr


def readme_time_server() -> str:
    """The README's `[mcp.servers.time]` example, as a user would copy it."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("[mcp.servers.time]") :]
    return block[: block.index("\n\n")] + "\n"


def test_the_readmes_example_server_works_from_chatclis_virtualenv(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    """`command = "mcp-server-time"`, pip-installed beside chatcli, not on PATH."""
    config = isolated / ".config" / "chatcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(readme_time_server(), encoding="utf-8")
    server.expect(calls("get_current_time", {"timezone": "Asia/Shanghai"}))
    result = run_chatcli({**env, "PATH": "/usr/bin:/bin"}, "what time is it?")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.removeprefix("Echo: "))["timezone"] == "Asia/Shanghai"
    shown = run_chatcli(env, "--show-config")
    assert re.search(
        r"time\s+mcp-server-time --local-timezone Asia/Shanghai\s+get_current_time", shown.stdout
    )


def test_show_config_lists_servers_without_their_env(env: dict[str, str], isolated: Path) -> None:
    config = mcp_file(isolated, env={"SECRET_TOKEN": "sk-do-not-show-1234567890"}, disabled=True)
    result = run_chatcli(env, "--mcp-config", config, "--show-config")
    assert result.returncode == 0, result.stderr
    assert re.search(r"own \(disabled\)\s+\S*python\S* \S*mcp_server.py\s+-", result.stdout)
    assert re.search(r"time\s+\S*python\S* -m mcp_server_time --local-timezone UTC", result.stdout)
    assert "sk-do-not-show" not in result.stdout


def test_a_restarted_servers_failure_names_only_its_own_errors() -> None:
    from chatcli.tools.config import McpServerConfig
    from chatcli.tools.mcp_client import McpServer

    server = McpServer("own", McpServerConfig(command="true"))
    server.stderr.write("fatal: the first start\n")
    server.stderr.flush()
    assert server.stderr_tail() == "fatal: the first start"
    server.begin()  # /tools restart
    server.stderr.write("fatal: the second start\n")
    server.stderr.flush()
    assert server.stderr_tail() == "fatal: the second start"
