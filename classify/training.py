"""Training data and the model: character n-grams, TF-IDF and a multinomial logistic regression.

Chinese has no spaces, so the features are character unigrams and bigrams (no word segmenter needed:
bigrams such as 暖气, 井盖, 欠薪 carry most of the signal; adding trigrams scored lower in 5-fold
cross-validation on the hand-written corpus, 0.62 against 0.64). The model predicts the
leaf category; a top-level category's score is the sum of its leaves' probabilities.

Training texts come from two places:
- the ticket history: every accepted ticket's description with its final category. The demo history
  is generated from a few templates per category, so the history alone teaches the model little
  beyond those templates; texts that the history gives several categories (the demo's consultation
  questions) are dropped, and each leaf keeps at most TICKETS_PER_LEAF of its newest tickets so that
  the busiest categories do not drown the rest;
- a hand-written corpus, `classify/corpus/training.tsv` (several short complaints per leaf, in the
  words callers use), each also wrapped in a few colloquial openings and closings so that the model
  learns those carry no topic. It is never the evaluation set (`tests/data/classify_eval.csv`), and a
  test checks that no evaluation text appears in it.
"""

from __future__ import annotations

import csv
import pickle
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "training.tsv"
TICKETS_PER_LEAF = 40
TICKET_WEIGHT = 0.3  # a templated history text counts less than a hand-written one
MIN_LABEL_SHARE = 0.6

OPENINGS = ["", "你好，", "喂，你好，我想反映个事，", "我要投诉，", "麻烦你们管一管，", "我是附近的居民，"]
CLOSINGS = ["", "，希望尽快处理", "，你们赶紧派人来看看吧", "，都好几天了没人管", "，请相关部门给个说法"]


def normalize(text: str) -> str:
    """Lower-case, digits folded to 0 (building and house numbers carry no topic), spaces collapsed."""
    text = re.sub(r"\d", "0", text.lower())
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class TrainingSet:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    tickets: int = 0
    corpus: int = 0

    def add(self, text: str, label: str, weight: float = 1.0) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.weights.append(weight)


def read_corpus(path: Path = CORPUS) -> list[tuple[str, str]]:
    """(leaf code, text) rows of the hand-written corpus; '#' lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        code, text = line.split("\t", 1)
        rows.append((code.strip(), text.strip()))
    return rows


def ticket_rows(leaves: set[str], per_leaf: int) -> list[tuple[str, str]]:
    """(leaf code, description) from the ticket history, newest first, label-consistent, capped per leaf."""
    from dispatch.models import Ticket

    qs = (
        Ticket.objects.exclude(category=None)
        .exclude(status="refused")
        .order_by("-received_at")
        .values_list("category__code", "description")
    )
    by_text: dict[str, Counter] = defaultdict(Counter)
    order: list[str] = []
    for code, text in qs.iterator(chunk_size=5000):
        if code not in leaves or not text:
            continue
        if text not in by_text:
            order.append(text)
        by_text[text][code] += 1
    kept: dict[str, int] = defaultdict(int)
    rows = []
    for text in order:
        counts = by_text[text]
        code, n = counts.most_common(1)[0]
        if n / sum(counts.values()) < MIN_LABEL_SHARE or kept[code] >= per_leaf:
            continue
        kept[code] += 1
        rows.append((code, text))
    return rows


def build_training_set(*, leaves: set[str], use_tickets: bool = True, seed: int = 12345) -> TrainingSet:
    rng = random.Random(seed)
    data = TrainingSet()
    if use_tickets:
        for code, text in ticket_rows(leaves, TICKETS_PER_LEAF):
            data.add(text, code, TICKET_WEIGHT)
            data.tickets += 1
    for code, text in read_corpus():
        if code not in leaves:
            raise ValueError(f"training corpus: unknown leaf category {code}")
        data.add(text, code)
        data.corpus += 1
        for opening, closing in rng.sample([(o, c) for o in OPENINGS for c in CLOSINGS], 2):
            data.add(f"{opening}{text}{closing}", code, 0.5)
    return data


def fit(data: TrainingSet):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char", ngram_range=(1, 2), preprocessor=normalize, sublinear_tf=True, min_df=1
                ),
            ),
            ("clf", LogisticRegression(C=20, max_iter=300)),
        ]
    )
    pipeline.fit(data.texts, data.labels, clf__sample_weight=data.weights)
    return pipeline


def dumps(pipeline) -> bytes:
    return pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)


def loads(blob: bytes):
    return pickle.loads(bytes(blob))  # noqa: S301  (written only by train_classifier, read from our own database)


def ranked(pipeline, text: str, k: int) -> list[tuple[str, float]]:
    """The k most probable leaf codes with their probabilities."""
    probs = pipeline.predict_proba([text])[0]
    classes = pipeline.classes_
    best = probs.argsort()[::-1][:k]
    return [(str(classes[i]), float(probs[i])) for i in best]


@dataclass
class EvalRow:
    code: str
    text: str


def read_eval(path: Path) -> list[EvalRow]:
    with path.open(encoding="utf-8", newline="") as f:
        return [EvalRow(r["code"].strip(), r["text"].strip()) for r in csv.DictReader(f)]


def evaluate(predict, rows: list[EvalRow], k: int = 3) -> dict:
    """Top-1 and top-k accuracy of predict(text, k) -> ranked leaf codes, for the leaf and the top level."""
    leaf1 = leafk = top1 = topk = 0
    times = []
    misses = []
    for row in rows:
        started = time.perf_counter()
        codes = predict(row.text, k)
        times.append(time.perf_counter() - started)
        if codes[:1] == [row.code]:
            leaf1 += 1
        else:
            misses.append((row.code, codes[:1][0] if codes else "", row.text))
        leafk += row.code in codes[:k]
        top1 += bool(codes) and codes[0][:2] == row.code[:2]
        topk += row.code[:2] in {c[:2] for c in codes[:k]}
    n = len(rows) or 1
    return {
        "n": len(rows),
        "leaf_top1": leaf1 / n,
        f"leaf_top{k}": leafk / n,
        "top_top1": top1 / n,
        f"top_top{k}": topk / n,
        "seconds": times,
        "misses": misses,
    }
