"""The fast path of the console's suggestions (console.suggest): each part cached by its own inputs,
and the similar tickets in one raw statement.

The call-taker types; the console sends the text typed so far about once a second, and while the
address field is edited the complaint text does not change (and the other way round). So each part
is kept in a small per-process LRU under exactly what it depends on:

- categories: (the loaded classifier version, the text). `classify.services.current_model()` checks
  the newest version every CLASSIFIER_RELOAD_SECONDS; a hot-reloaded model has a new version id, so
  its answers are new keys.
- the geocoder's answer: (grid version, gazetteer version, the address text). Both versions are the
  ones the geocoder's own index is rebuilt on (geo.index.versions).
- knowledge-base answers: (the knowledge base's fingerprint, the text). The fingerprint is the ids and
  row versions of all articles (the writing transaction, xmin, and the version's place, ctid: every
  update writes a new version elsewhere, even twice in one transaction): any insert, edit (admin,
  queryset update or SQL), deactivation or delete changes it.

The versions come in one small statement per request (`stamps()`). The similar open tickets are not
cached — they change whenever a ticket is taken in, linked or closed — but read in one statement that
selects only the columns shown, with pg_trgm's similarity computed on the few candidates only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connection

CACHE_SIZE = 4096  # entries per part; a suggestion's parts are a few kB at most


class LRU:
    """A bounded, thread-safe least-recently-used map (daphne runs sync views in a thread pool)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
        value = compute()  # outside the lock: two threads may compute one key; both answers are equal
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


categories_cache = LRU()
geocode_cache = LRU()
knowledge_cache = LRU()


def clear_all() -> None:
    for cache in (categories_cache, geocode_cache, knowledge_cache):
        cache.clear()


@dataclass(frozen=True)
class Stamps:
    """What the cached parts depend on in the database, read in one statement."""

    grid: int
    gazetteer: int
    knowledge: str


def stamps() -> Stamps:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT version FROM grid_gridstate WHERE id = 1),"
            " (SELECT version FROM geo_gazetteerstate WHERE id = 1),"
            " (SELECT count(*)::text || ':' || coalesce(md5(string_agg(id::text || '.' || xmin::text || ctid::text, ',' ORDER BY id)), '')"
            "  FROM dispatch_knowledgearticle)"
        )
        grid, gazetteer, knowledge = cur.fetchone()
    return Stamps(grid or 0, gazetteer or 0, knowledge)


def categories(text: str, k: int) -> list[dict]:
    """classify.services.suggest_categories, cached per loaded model version."""
    from classify.services import current_model, suggest_categories

    model = current_model()
    version = model.version_id if model is not None else None
    return _copy_list(categories_cache.get_or_compute((version, k, text), lambda: suggest_categories(text, k=k)))


def geocoded(stamp: Stamps, address: str):
    """The geocoder's answer for an address text (dispatch.services.geocode_address), cached per
    grid and gazetteer version. The answer is shared: callers must not change it."""
    from dispatch.services import geocode_address

    return geocode_cache.get_or_compute((stamp.grid, stamp.gazetteer, address), lambda: geocode_address(address))


KNOWLEDGE_SQL = """
SELECT a.id, a.question, a.answer,
       GREATEST(CASE WHEN EXISTS (SELECT 1 FROM unnest(a.keywords) k WHERE k <> '' AND strpos(%(q)s, k) > 0)
                     THEN 1.0 ELSE 0.0 END, word_similarity(a.question, %(q)s)) AS score
FROM dispatch_knowledgearticle a
WHERE a.is_active
ORDER BY score DESC, a.id
LIMIT %(limit)s
"""


def knowledge(stamp: Stamps, text: str, *, limit: int, min_score: float) -> list[dict]:
    """dispatch.selectors.search_knowledge's answers [IN-5] (the same expression, without the ORM),
    at least min_score, cached per knowledge-base fingerprint."""

    def compute() -> list[dict]:
        q = (text or "").strip()[:500]
        if not q:
            return []
        with connection.cursor() as cur:
            cur.execute(KNOWLEDGE_SQL, {"q": q, "limit": limit})
            rows = cur.fetchall()
        return [
            {"id": i, "question": question, "answer": answer, "score": round(float(score), 3)}
            for i, question, answer, score in rows
            if float(score) >= min_score
        ]

    return _copy_list(knowledge_cache.get_or_compute((stamp.knowledge, limit, min_score, text), compute))


def _copy_list(items: list[dict]) -> list[dict]:
    return [dict(item) for item in items]
