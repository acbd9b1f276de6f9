"""The keyword baseline the model is measured against: what a call-taker's search box does.

A leaf scores the total length of its keywords (categories.json) and of its own name found in the
text; leaves that match nothing are not suggested.
"""

from __future__ import annotations


class KeywordMatcher:
    def __init__(self, leaves: list[tuple[str, str, list[str]]]):
        """leaves: (code, name, keywords) in the taxonomy's order (ties go to the earlier leaf)."""
        self.leaves = [(code, {name, *keywords}) for code, name, keywords in leaves]

    @classmethod
    def from_database(cls) -> KeywordMatcher:
        from dispatch.models import Category

        leaves = Category.objects.filter(parent__isnull=False, is_active=True).order_by("sort", "code")
        return cls([(c.code, c.name, list(c.keywords)) for c in leaves])

    def ranked(self, text: str, k: int = 3) -> list[str]:
        scored = []
        for order, (code, words) in enumerate(self.leaves):
            score = sum(len(w) for w in words if w and w in text)
            if score:
                scored.append((-score, order, code))
        return [code for _s, _o, code in sorted(scored)[:k]]
