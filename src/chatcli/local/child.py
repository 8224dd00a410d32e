"""The llama.cpp server as chatcli's child process runs it: `python -m chatcli.local.child`.

Runs only in the child (started by `chatcli.local.server`), never imported by chatcli itself. It is
`llama_cpp.server` with three adjustments:

- it exits as soon as chatcli is gone, even after kill -9 (nothing else could notice): on
  Linux the kernel kills it with chatcli (PR_SET_PDEATHSIG), set before llama.cpp loads;
  elsewhere a thread notices within PARENT_POLL;
- streamed replies end with the usage chunk OpenAI sends for `stream_options.include_usage`,
  which llama_cpp.server 0.3 drops; the counts are the ones it reports for whole replies;
- extra weight buffer types are off: on CPUs that report AMX they select llama.cpp's AMX
  kernels, which die with a general protection fault in the builds pip makes with gcc 12.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

PARENT_POLL = 0.2
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(0)


def watch_parent(parent: int) -> None:
    """End with chatcli, however it ends: the kernel's death signal where there is one, and
    the polling thread everywhere (it also catches a parent gone before the prctl)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=exit_with_parent, args=(parent,), daemon=True).start()


def without_extra_buffer_types() -> None:
    import llama_cpp.llama_cpp as lib

    default_params = lib.llama_model_default_params

    def model_params() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    setattr(lib, "llama_model_default_params", model_params)  # noqa: B010


def usage_in_streams() -> None:
    """Count what `_create_completion` counts: the prompt it passes to `generate`, and the
    tokens it keeps (every generated token up to, not including, an end-of-generation one)."""
    import llama_cpp
    import llama_cpp.llama_cpp as lib

    generate = llama_cpp.Llama.generate
    chat = llama_cpp.Llama.create_chat_completion
    counts: dict[int, list[int]] = {}

    def counting_generate(
        self: llama_cpp.Llama, tokens: Sequence[int], *args: Any, **kwargs: Any
    ) -> Iterator[int]:
        count = counts[id(self)] = [len(tokens), 0]
        for token in generate(self, tokens, *args, **kwargs):
            if not lib.llama_vocab_is_eog(self._model.vocab, token):
                count[1] += 1
            yield token

    def with_usage(self: llama_cpp.Llama, chunks: Iterator[Any]) -> Iterator[Any]:
        last = None
        for last in chunks:
            yield last
        if last is not None:
            prompt, completion = counts.pop(id(self), [0, 0])
            yield {
                "id": last["id"],
                "object": "chat.completion.chunk",
                "created": last["created"],
                "model": last["model"],
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }

    def chat_with_usage(self: llama_cpp.Llama, *args: Any, **kwargs: Any) -> Any:
        result = chat(self, *args, **kwargs)
        return with_usage(self, result) if isinstance(result, Iterator) else result

    setattr(llama_cpp.Llama, "generate", counting_generate)  # noqa: B010
    setattr(llama_cpp.Llama, "create_chat_completion", chat_with_usage)  # noqa: B010


def main(argv: list[str]) -> None:
    watch_parent(int(argv[0]))
    without_extra_buffer_types()
    usage_in_streams()
    sys.argv = ["llama_cpp.server", *argv[1:]]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
