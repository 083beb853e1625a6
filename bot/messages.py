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
    # True for a button press (Telegram callback query, web chat chip): ``text`` is the
    # button's command, as if the user had typed it.
    is_button: bool = False
    # Platform account ids of users the message mentions, where the platform tells them.
    mentioned_ids: tuple[str, ...] = ()

    @property
    def addressed_to_bot(self) -> bool:
        return self.mentions_bot or self.reply_to_bot or self.chat_type == "private"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["attachments"] = list(self.attachments)
        data["mentioned_ids"] = list(self.mentioned_ids)
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "IncomingMessage":
        data = dict(data)
        data["attachments"] = tuple(data.get("attachments") or ())
        data["mentioned_ids"] = tuple(data.get("mentioned_ids") or ())
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


@dataclass(frozen=True)
class Button:
    """A choice under a message. Pressing it sends ``command`` back as the user's own text,
    so a button is only a shortcut for something the user could type."""

    label: str
    command: str


# Telegram limits callback data to 64 bytes; every channel keeps to the smallest limit.
MAX_BUTTON_COMMAND_BYTES = 64


@dataclass(frozen=True)
class Buttons:
    """Rows of buttons shown with the message (Telegram inline keyboard, web chat chips).
    Channels without buttons ignore them; the text must already say what to type."""

    rows: tuple[tuple[Button, ...], ...]
    kind: Literal["buttons"] = "buttons"

    def __post_init__(self) -> None:
        for row in self.rows:
            for button in row:
                if len(button.command.encode("utf-8")) > MAX_BUTTON_COMMAND_BYTES:
                    raise ValueError(f"button command {button.command!r} is over {MAX_BUTTON_COMMAND_BYTES} bytes")


Segment = Union[Text, Mention, Buttons]


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    chat_id: str
    segments: tuple[Segment, ...]
    reply_to_message_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def plain_text(self) -> str:
        return "".join(s.text if isinstance(s, Text) else f"@{s.name}"
                       for s in self.segments if isinstance(s, (Text, Mention)))

    @property
    def mentions(self) -> tuple[Mention, ...]:
        return tuple(s for s in self.segments if isinstance(s, Mention))

    @property
    def buttons(self) -> tuple[tuple[Button, ...], ...]:
        """All button rows of the message (usually one ``Buttons`` segment)."""
        return tuple(row for s in self.segments if isinstance(s, Buttons) for row in s.rows)


def segments_to_json(segments: tuple[Segment, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in segments:
        # Spelled out rather than dataclasses.asdict: a digest serialises thousands of messages.
        if isinstance(s, Text):
            out.append({"text": s.text, "kind": "text"})
        elif isinstance(s, Mention):
            out.append({"user_id": s.user_id, "name": s.name, "kind": "mention"})
        elif isinstance(s, Buttons):
            out.append({"kind": "buttons", "rows": [[{"label": b.label, "command": b.command} for b in row]
                                                     for row in s.rows]})
        else:
            out.append(asdict(s))
    return out


def segments_from_json(data: list[dict[str, Any]]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for item in data:
        kind = item.get("kind")
        if kind == "mention":
            out.append(Mention(user_id=str(item["user_id"]), name=str(item["name"])))
        elif kind == "buttons":
            out.append(Buttons(rows=tuple(tuple(Button(label=str(b["label"]), command=str(b["command"]))
                                                for b in row) for row in item["rows"])))
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

    def buttons(self, *rows: tuple[Button, ...]) -> "MessageBuilder":
        self._segments.append(Buttons(rows=tuple(tuple(row) for row in rows)))
        return self

    def add(self, segment: Segment) -> "MessageBuilder":
        self._segments.append(segment)
        return self

    @property
    def empty(self) -> bool:
        return not self._segments

    def build(self) -> tuple[Segment, ...]:
        # Merge adjacent text runs so adapters see as few segments as possible.
        merged: list[Segment] = []
        for seg in self._segments:
            if merged and isinstance(seg, Text) and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + seg.text)
            else:
                merged.append(seg)
        return tuple(merged)
