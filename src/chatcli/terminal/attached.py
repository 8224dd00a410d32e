"""A stored message's attachments as listings show them (`/history`, `chatcli sessions show`,
the resume recap): one line each (`📎 src/ (14 files, 31 KB, sha256:ab12cd34…)`), then the
message as typed. The text the model saw stays in the store and in exports."""

from __future__ import annotations

from chatcli.i18n import t
from chatcli.store.records import AttachmentRecord, Conversation, StoredMessage, typed_text


def size_text(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    return f"{size / 1000:.0f} KB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"


def attachment_line(record: AttachmentRecord) -> str:
    size, digest = size_text(record.size), record.sha256[:8]
    if record.files > 1 or record.source.endswith("/"):
        return t("attached_files", source=record.source, n=record.files, size=size, hash=digest)
    return t("attached_item", source=record.source, size=size, hash=digest)


def typed(message: StoredMessage) -> str:
    """The text after the attachments' texts (all of it when it no longer starts with them)."""
    text = typed_text(message)
    return message.text if text is None else text


def _pieces(message: StoredMessage) -> list[str]:
    return [*(attachment_line(record) for record in message.attachments or ()), typed(message)]


def shown(message: StoredMessage, plain: str) -> str:
    """A user message with attachments as one line per attachment, then what was typed;
    `plain` for any other message."""
    return "\n".join(_pieces(message)) if message.attachments else plain


def folded(conversation: Conversation) -> Conversation:
    """The conversation with each message's attachments folded to their lines (a paragraph
    each, so Markdown keeps them apart)."""
    messages = tuple(
        m.model_copy(update={"content": "\n\n".join(_pieces(m))}) if m.attachments else m
        for m in conversation.messages
    )
    return conversation.model_copy(update={"messages": messages})
