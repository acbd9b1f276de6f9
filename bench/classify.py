"""Ticket classification (issue 13): the trained text model against keyword matching on the
hand-written evaluation set (tests/data/classify_eval.csv, never in the training data). Run:
`.venv/bin/python bench/classify.py` (figures go to bench/RESULTS.md).

- model: `train_classifier` as shipped (the ticket history in the database plus the hand-written
  corpus classify/corpus/training.tsv); it is stored as a new ClassifierVersion and answered through
  `classify.services.suggest_categories`, whose time per suggestion is measured here;
- history only: the same model fitted on the ticket history alone, to show what the templated demo
  history teaches by itself;
- keywords: each leaf's name and keywords from categories.json looked up in the text.

Top-1 and top-3 are counted on the leaf category (62 leaves) and on its top-level category (28).
"""

from __future__ import annotations

import os
import time

from _common import percentile, record, setup_django


def main() -> None:
    setup_django()
    from classify import services, training
    from classify.baseline import KeywordMatcher

    rows = training.read_eval(services.EVAL_SET)
    leaves = set(services._leaf_names())

    version = services.train_classifier(progress=print)
    services.forget_model()
    services.suggest_categories(rows[0].text)  # load the model once

    def suggest(text, k):
        return [s["code"] for s in services.suggest_categories(text, k)]

    model = training.evaluate(suggest, rows)

    history = training.TrainingSet()
    for code, text in training.ticket_rows(leaves, training.TICKETS_PER_LEAF):
        history.add(text, code)
    started = time.perf_counter()
    history_model = training.fit(history)
    history_seconds = time.perf_counter() - started
    only_history = training.evaluate(lambda t, k: [c for c, _s in training.ranked(history_model, t, k)], rows)

    keywords = training.evaluate(KeywordMatcher.from_database().ranked, rows)

    def pct(x: float) -> str:
        return f"{x * 100:.1f}%"

    def ms(values: list[float], p: float) -> str:
        return f"{percentile(values, p) * 1000:.2f} ms"

    lines = [
        f"Evaluation set: {len(rows)} hand-written complaints (mean {sum(len(r.text) for r in rows) / len(rows):.0f} "
        f"characters), all 28 top-level categories, none in the training data. Targets (issue 13): "
        "top-1 ≥ 85%, top-3 ≥ 95%.",
        "",
        "| Method | Trained on | Leaf top-1 | Leaf top-3 | Top-level top-1 | Top-level top-3 | Per text p50 | p95 |",
        "|---|---|---|---|---|---|---|---|",
        f"| Model v{version.version} (char 1-2-gram TF-IDF + logistic regression), via `suggest_categories` "
        f"| {version.trained_on_tickets} history texts + {version.trained_on_corpus} corpus texts, "
        f"trained in {version.train_seconds:.1f} s wall, {version.metrics['train_cpu_seconds']:.1f} s CPU "
        f"| {pct(model['leaf_top1'])} | {pct(model['leaf_top3'])} | {pct(model['top_top1'])} "
        f"| {pct(model['top_top3'])} | {ms(model['seconds'], 50)} | {ms(model['seconds'], 95)} |",
        f"| Same model, ticket history only | {len(history.texts)} history texts, fitted in {history_seconds:.1f} s "
        f"| {pct(only_history['leaf_top1'])} | {pct(only_history['leaf_top3'])} | {pct(only_history['top_top1'])} "
        f"| {pct(only_history['top_top3'])} | {ms(only_history['seconds'], 50)} | {ms(only_history['seconds'], 95)} |",
        f"| Keyword matching (category names + keywords) | categories.json "
        f"| {pct(keywords['leaf_top1'])} | {pct(keywords['leaf_top3'])} | {pct(keywords['top_top1'])} "
        f"| {pct(keywords['top_top3'])} | {ms(keywords['seconds'], 50)} | {ms(keywords['seconds'], 95)} |",
        "",
        f"Keyword matching suggests nothing at all for {sum(1 for r in rows if not KeywordMatcher.from_database().ranked(r.text))} "
        f"of the {len(rows)} texts. Model size {len(bytes(version.model)) / 1e6:.1f} MB "
        f"({version.metrics['features']} features, {version.metrics['classes']} classes).",
    ]
    lines.append(f"Load average while it ran: {os.getloadavg()[0]:.1f} (shared machine; wall times vary with it).")
    record("Ticket classification (bench/classify.py)", lines)
    print("model misses (expected -> suggested):")
    for code, got, text in model["misses"]:
        print(f"  {code} -> {got}: {text[:60]}")


if __name__ == "__main__":
    main()
