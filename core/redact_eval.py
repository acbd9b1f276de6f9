"""Scoring a redactor on a labelled set (tests/data/redact_eval.jsonl, built by make_redact_eval.py).

An item is removed when none of its identifying characters (digits, Latin letters, and for a name all
of it) survives in the output and its text no longer appears verbatim. The other characters are the
ones outside every planted item: the share of them changed or dropped is the collateral damage.
Survival is read from a character alignment of input and output (difflib, no junk heuristics), so a
mark such as "[电话]" or "某先生" counts as a change only where it replaced something."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RedactionScore:
    items: int = 0
    removed: int = 0
    other_chars: int = 0
    other_changed: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [planted, removed]
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, item, output)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (input, output) with other chars changed

    @property
    def recall(self) -> float:
        return self.removed / self.items if self.items else 1.0

    @property
    def collateral(self) -> float:
        return self.other_changed / self.other_chars if self.other_chars else 0.0


def load_eval(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def kept_positions(original: str, redacted: str) -> set[int]:
    """Indexes of the original's characters that survive unchanged in the output."""
    kept: set[int] = set()
    matcher = difflib.SequenceMatcher(None, original, redacted, autojunk=False)
    for block in matcher.get_matching_blocks():
        kept.update(range(block.a, block.a + block.size))
    return kept


def _identifying(ch: str, kind: str) -> bool:
    return kind == "name" or ch.isascii() and ch.isalnum() or ch.isdigit() or "Ａ" <= ch <= "ｚ"


def score(rows: list[dict], redact: Callable[[str], str]) -> RedactionScore:
    s = RedactionScore()
    for row in rows:
        text = row["text"]
        out = redact(text)
        kept = kept_positions(text, out)
        inside: set[int] = set()
        for item in row["planted"]:
            span = range(item["start"], item["end"])
            inside.update(span)
            leaked = any(i in kept and _identifying(text[i], item["kind"]) for i in span) or item["text"] in out
            s.items += 1
            bucket = s.by_kind.setdefault(item["kind"], [0, 0])
            bucket[0] += 1
            if leaked:
                s.missed.append((item["kind"], item["text"], out))
            else:
                s.removed += 1
                bucket[1] += 1
        others = [i for i in range(len(text)) if i not in inside]
        changed = sum(i not in kept for i in others)
        s.other_chars += len(others)
        s.other_changed += changed
        if changed:
            s.damaged.append((text, out))
    return s
