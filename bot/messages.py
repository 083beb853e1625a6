"""Platform-neutral messages: what adapters produce and what handlers send.

An outgoing message is a sequence of typed segments (text, mention) so each
channel can render mentions natively (Telegram ``tg://user?id=`` links,
WeCom ``mentioned_list``, web chat highlights) without handlers knowing how.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, Union

ChatType = Literal["group", "private"]


@dataclass(frozen=True)
class IncomingMessage:
    channel: str
    chat_id: str
    message_id: str
    sender_id: str
    sender_name: str
    text: str
    chat_type: ChatType = "group"
    # True when the message @-mentions the bot (the mention itself is removed from text).
    mentions_bot: bool = False
    # True when the message replies to one of the bot's messages.
    reply_to_bot: bool = False
    reply_to_message_id: str | None = None
    # Non-text content ("sticker", "photo", ...); a sticker alone is never a request.
    attachments: tuple[str, ...] = ()
    sent_at: datetime | None = None

    @property
    def addressed_to_bot(self) -> bool:
        return self.mentions_bot or self.reply_to_bot or self.chat_type == "private"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["attachments"] = list(self.attachments)
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "IncomingMessage":
        data = dict(data)
        data["attachments"] = tuple(data.get("attachments") or ())
        sent_at = data.get("sent_at")
        data["sent_at"] = datetime.fromisoformat(sent_at) if sent_at else None
        return cls(**data)


@dataclass(frozen=True)
class Text:
    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Mention:
    """A mention of one platform account; ``name`` is shown to readers."""

    user_id: str
    name: str
    kind: Literal["mention"] = "mention"


Segment = Union[Text, Mention]


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    chat_id: str
    segments: tuple[Segment, ...]
    reply_to_message_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def plain_text(self) -> str:
        return "".join(s.text if isinstance(s, Text) else f"@{s.name}" for s in self.segments)

    @property
    def mentions(self) -> tuple[Mention, ...]:
        return tuple(s for s in self.segments if isinstance(s, Mention))


def segments_to_json(segments: tuple[Segment, ...]) -> list[dict[str, Any]]:
    return [asdict(s) for s in segments]


def segments_from_json(data: list[dict[str, Any]]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for item in data:
        if item.get("kind") == "mention":
            out.append(Mention(user_id=str(item["user_id"]), name=str(item["name"])))
        else:
            out.append(Text(text=str(item["text"])))
    return tuple(out)


class MessageBuilder:
    """Small helper so handlers read like the sentence they send."""

    def __init__(self) -> None:
        self._segments: list[Segment] = []

    def text(self, value: str) -> "MessageBuilder":
        if value:
            self._segments.append(Text(value))
        return self

    def mention(self, user_id: str, name: str) -> "MessageBuilder":
        self._segments.append(Mention(user_id=str(user_id), name=name))
        return self

    def build(self) -> tuple[Segment, ...]:
        # Merge adjacent text runs so adapters see as few segments as possible.
        merged: list[Segment] = []
        for seg in self._segments:
            if merged and isinstance(seg, Text) and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + seg.text)
            else:
                merged.append(seg)
        return tuple(merged)
