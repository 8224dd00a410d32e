"""chatcli — a terminal chat client for OpenAI-compatible chat completion APIs."""

__version__ = "0.1.0"
