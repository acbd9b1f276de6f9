"""Category suggestions from the trained text model, and its training.

`suggest_categories(text, k)` answers from the newest `ClassifierVersion`. Each process keeps the
loaded model and checks the newest version id at most every CLASSIFIER_RELOAD_SECONDS (one indexed
query); when `train_classifier` has written a newer version, the next suggestion loads it. With no
version at all it returns an empty list rather than training inside a request (training takes
seconds): `make setup` trains the first version (`train_classifier --if-missing`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from . import training
from .models import ClassifierVersion

EVAL_SET = Path(settings.BASE_DIR) / "tests" / "data" / "classify_eval.csv"
MAX_TEXT = 2000


def reload_seconds() -> float:
    return float(settings.CLASSIFIER_RELOAD_SECONDS)


@dataclass
class Loaded:
    version_id: int
    version: int
    pipeline: object
    leaves: dict[str, tuple[str, str]]  # leaf code -> (name, top-level name)


_lock = threading.Lock()
_loaded: Loaded | None = None
_checked_at = float("-inf")


def _leaf_names() -> dict[str, tuple[str, str]]:
    from dispatch.models import Category

    return {
        c.code: (c.name, c.parent.name)
        for c in Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")
    }


def current_model() -> Loaded | None:
    """The newest version's model, reloaded when a newer version appeared (checked at most every N s)."""
    global _loaded, _checked_at
    now = time.monotonic()
    if _loaded is not None and now - _checked_at < reload_seconds():
        return _loaded
    with _lock:
        if _loaded is not None and time.monotonic() - _checked_at < reload_seconds():
            return _loaded
        newest = ClassifierVersion.objects.order_by("-version").values_list("id", flat=True).first()
        if newest is None:
            _loaded = None
        elif _loaded is None or _loaded.version_id != newest:
            row = ClassifierVersion.objects.get(id=newest)
            _loaded = Loaded(row.id, row.version, training.loads(row.model), _leaf_names())
        _checked_at = time.monotonic()
        return _loaded


def forget_model() -> None:
    """Drop this process's cached model (tests; the next call reloads)."""
    global _loaded, _checked_at
    with _lock:
        _loaded, _checked_at = None, float("-inf")


def suggest_categories(text: str, k: int = 3) -> list[dict]:
    """The k likeliest leaf categories for a complaint text: [{code, name, top, score}], best first.

    `top` is the top-level category's name; `score` the model's probability (0..1). Empty when the
    text is blank or no classifier has been trained yet.
    """
    text = (text or "").strip()[:MAX_TEXT]
    model = current_model()
    if not text or model is None or k < 1:
        return []
    out = []
    for code, score in training.ranked(model.pipeline, text, k + 5):
        if code not in model.leaves:  # a leaf deactivated since training
            continue
        name, top = model.leaves[code]
        out.append({"code": code, "name": name, "top": top, "score": round(score, 4)})
        if len(out) == k:
            break
    return out


def train_classifier(*, use_tickets: bool = True, progress=None) -> ClassifierVersion:
    """Fit a new model on the ticket history and the hand-written corpus; store it as the next version."""
    say = progress or (lambda _msg: None)
    leaves = set(_leaf_names())
    started, cpu_started = time.perf_counter(), time.process_time()
    say("collecting training texts")
    data = training.build_training_set(leaves=leaves, use_tickets=use_tickets)
    say(f"{data.tickets} ticket texts, {data.corpus} corpus texts, {len(data.texts)} training rows")
    say("fitting")
    pipeline = training.fit(data)
    seconds = time.perf_counter() - started
    metrics = {
        "classes": len(pipeline.classes_),
        "features": len(pipeline.named_steps["tfidf"].vocabulary_),
        "train_cpu_seconds": round(time.process_time() - cpu_started, 2),
    }
    if EVAL_SET.exists():
        say("evaluating on the unseen set")
        result = training.evaluate(
            lambda t, k: [c for c, _s in training.ranked(pipeline, t, k)], training.read_eval(EVAL_SET)
        )
        metrics["eval"] = {key: round(v, 4) for key, v in result.items() if key.startswith(("leaf", "top"))}
        metrics["eval"]["n"] = result["n"]
    blob = training.dumps(pipeline)
    import sklearn

    with transaction.atomic():
        with connection.cursor() as cur:  # two trainers at once number their versions one after the other
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('classify.train_classifier'))")
        last = ClassifierVersion.objects.aggregate(v=Max("version"))["v"] or 0
        version = ClassifierVersion.objects.create(
            version=last + 1,
            trained_on_tickets=data.tickets,
            trained_on_corpus=data.corpus,
            train_seconds=round(seconds, 3),
            metrics=metrics,
            library=f"scikit-learn {sklearn.__version__}",
            model=blob,
        )
    say(f"version {version.version}: {len(blob) / 1e6:.1f} MB, trained in {seconds:.1f} s, {metrics}")
    return version
