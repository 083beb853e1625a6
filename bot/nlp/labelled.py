"""The labelled corpus that ships with gridbot (the folder bot/nlp/corpus/, see its README.md) and
the TSV format that ``gridbot eval`` reads.

A line is ``label<TAB>text`` or ``label<TAB>urgent<TAB>text`` (urgent: 1 or 0);
a first line naming the columns (``label``, ``urgent``, ``text``) is a header.
A label is a request type key, a type's display name, or one of NONE_ALIASES.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from .model import NONE_LABEL

NONE_ALIASES = frozenset({NONE_LABEL, "非诉求", "不是诉求", "无", "闲聊", "not_request", "other"})
SPLITS = ("train", "test")


class CorpusError(ValueError):
    """A labelled file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class Example:
    label: str            # a type key or NONE_LABEL
    text: str
    urgent: bool | None = None   # None: not given


def parse_tsv(lines: Iterable[str], *, labels: Mapping[str, str] | None = None, source: str = "input") -> list[Example]:
    """Examples from TSV lines. ``labels`` maps every accepted label spelling (type keys and
    names) to its key; without it any label is taken as given. Every problem is reported at once."""
    out: list[Example] = []
    problems: list[str] = []
    columns: tuple[str, ...] | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n").lstrip("\ufeff") if number == 1 else raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if columns is None and out == [] and not problems and fields[0].strip().lower() == "label":
            columns = tuple(f.strip().lower() for f in fields)
            if "text" not in columns:
                problems.append(f"{source}:{number}: the header has no 'text' column")
                break
            continue
        if columns is not None:
            if len(fields) != len(columns):
                problems.append(f"{source}:{number}: {len(fields)} columns, the header has {len(columns)}")
                continue
            record = dict(zip(columns, fields))
        elif len(fields) == 2:
            record = {"label": fields[0], "text": fields[1]}
        elif len(fields) == 3:
            record = {"label": fields[0], "urgent": fields[1], "text": fields[2]}
        else:
            problems.append(f"{source}:{number}: expected label<TAB>text or label<TAB>urgent<TAB>text, "
                            f"found {len(fields)} columns")
            continue
        label = record.get("label", "").strip()
        text = record.get("text", "").strip()
        key = NONE_LABEL if label in NONE_ALIASES else (labels.get(label) if labels is not None else label)
        if not text:
            problems.append(f"{source}:{number}: empty text")
            continue
        if not key:
            known = ", ".join(sorted(set(labels.values()))) if labels else ""
            problems.append(f"{source}:{number}: unknown label {label!r} (use a type key or name: {known}, or none)")
            continue
        urgent_field = record.get("urgent")
        urgent = None
        if urgent_field is not None:
            if urgent_field.strip() not in ("0", "1"):
                problems.append(f"{source}:{number}: urgent must be 0 or 1, not {urgent_field!r}")
                continue
            urgent = urgent_field.strip() == "1"
        out.append(Example(key, text, urgent))
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise CorpusError("\n".join(shown))
    return out


def shipped(split: str) -> list[Example]:
    """The shipped corpus: ``train`` or ``test``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    text = resources.files(__package__).joinpath("corpus", f"{split}.tsv").read_text(encoding="utf-8")
    return parse_tsv(text.splitlines(), source=f"corpus/{split}.tsv")


def corpus_digest() -> str:
    """A short hash of the shipped corpus files (recorded in the models trained on them)."""
    import hashlib

    digest = hashlib.sha256()
    for split in SPLITS:
        digest.update(resources.files(__package__).joinpath("corpus", f"{split}.tsv").read_bytes())
    return digest.hexdigest()[:16]
