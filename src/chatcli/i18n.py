"""UI strings in Chinese and English; the language follows --lang, else the locale."""

from __future__ import annotations

import os

_lang = "en"

STRINGS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "welcome": (
        "chatcli {version} · 模型 {model} · 输入 /help 查看命令，输入 {exit} 或按 Ctrl-D 退出",
        "chatcli {version} · model {model} · /help for commands, {exit} or Ctrl-D to quit",
    ),
    "ctrl_c_hint": ("（输入 {exit} 或按 Ctrl-D 退出）", "(type {exit} or press Ctrl-D to quit)"),
    "interrupted": ("⏹ 已中断", "⏹ interrupted"),
    "cut_by_length": (
        "⚠ 回复达到了 token 上限（--max-tokens），被截断了",
        "⚠ the reply was cut off by the token limit (--max-tokens)",
    ),
    "tokens_unknown": ("token 数未知", "tokens unknown"),
    "tokens": ("{prompt} → {completion} tokens", "{prompt} → {completion} tokens"),
    "fingerprint": ("指纹 {fp}", "fingerprint {fp}"),
    "choice": ("选项 {k}", "Choice {k}"),
    "logprobs_title": ("各 token 概率：", "token probabilities:"),
    "model_now": ("当前模型：{model}", "model: {model}"),
    "model_set": ("已切换到模型 {model}", "switched to model {model}"),
    "system_now": ("系统提示：{system}", "system prompt: {system}"),
    "system_none": ("（没有系统提示）", "(no system prompt)"),
    "system_set": (
        "系统提示已设置，对话重新开始",
        "system prompt set; the conversation starts over",
    ),
    "system_cleared": ("系统提示已清除", "system prompt cleared"),
    "cleared": ("对话历史已清空（系统提示保留）", "history cleared (system prompt kept)"),
    "history_empty": ("（还没有对话）", "(no messages yet)"),
    "unknown_command": ("未知命令 {name}", "unknown command {name}"),
    "did_you_mean": ("，你是不是想输入 {suggestion}？", " — did you mean {suggestion}?"),
    "help_title": ("命令：", "commands:"),
    "help_exit": (
        "退出：{exit}、exit、quit、/exit 或 Ctrl-D",
        "quit: {exit}, exit, quit, /exit or Ctrl-D",
    ),
    "no_models": ("服务器没有返回任何模型", "the server lists no models"),
    "error": ("错误：{message}", "error: {message}"),
    "partial_not_saved": (
        "（上面的部分回复没有存入历史）",
        "(the partial reply above was not kept in the history)",
    ),
    "err_no_key": (
        "没有找到 API key：设置环境变量 OPENAI_API_KEY，或写进当前目录的 .env 文件；"
        "本地服务器用 --base-url",
        "no API key found: set OPENAI_API_KEY in the environment or in a .env file here; "
        "for a local server use --base-url",
    ),
    "err_empty_reply": ("模型返回了空回复", "the model returned an empty reply"),
    "err_whitespace_reply": ("模型只返回了空白", "the model returned only whitespace"),
    "err_401": (
        "API key 被拒绝（401）：检查 OPENAI_API_KEY。服务器说：{server}",
        "the API key was rejected (401): check OPENAI_API_KEY. Server: {server}",
    ),
    "err_403": ("没有权限（403）：{server}", "permission denied (403): {server}"),
    "err_404": (
        "在 {base_url} 找不到模型 {model}（404）：用 /models 查看可用模型。服务器说：{server}",
        "model {model} not found at {base_url} (404): see /models. Server: {server}",
    ),
    "err_429": (
        "请求太频繁（429），重试 {retries} 次后仍失败：{server}",
        "rate limited (429), still failing after {retries} retries: {server}",
    ),
    "err_context": (
        "对话超出了模型的上下文长度：用 /clear 清空历史，或设置 --history-limit。"
        "服务器说：{server}",
        "the conversation exceeds the model's context length: /clear the history "
        "or set --history-limit. Server: {server}",
    ),
    "err_5xx": (
        "服务器错误（{status}），重试 {retries} 次后仍失败：{server}",
        "server error ({status}), still failing after {retries} retries: {server}",
    ),
    "err_status": (
        "服务器拒绝了请求（{status}）：{server}",
        "the server refused ({status}): {server}",
    ),
    "err_timeout": (
        "{base_url} 在 {timeout} 秒内没有响应（可用 --timeout 调整）",
        "no answer from {base_url} within {timeout} s (see --timeout)",
    ),
    "err_read_timeout": (
        "{base_url} 中途停止发送（{timeout} 秒读超时）",
        "{base_url} stopped sending mid-reply (read timeout after {timeout} s)",
    ),
    "err_dns": (
        "找不到主机 {base_url}（DNS 解析失败）：检查 --base-url",
        "cannot resolve the host of {base_url} (DNS failure): check --base-url",
    ),
    "err_refused": (
        "无法连接 {base_url}（连接被拒绝）：服务器在运行吗？",
        "cannot connect to {base_url} (connection refused): is the server running?",
    ),
    "err_connect": ("无法连接 {base_url}：{detail}", "cannot connect to {base_url}: {detail}"),
    "err_cut": (
        "连接在回复中途断开了（{base_url}）",
        "the connection to {base_url} was cut mid-reply",
    ),
    "err_malformed": (
        "服务器返回了无法解析的数据：{detail}",
        "the server sent a malformed response: {detail}",
    ),
    "err_other": ("请求失败：{detail}", "the request failed: {detail}"),
}


def detect(explicit: str | None) -> str:
    if explicit:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(lang: str) -> None:
    global _lang
    _lang = lang


def language() -> str:
    return _lang


def t(key: str, **values: object) -> str:
    zh, en = STRINGS[key]
    return (zh if _lang == "zh" else en).format(**values)
