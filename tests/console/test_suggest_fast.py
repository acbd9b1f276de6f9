"""The suggestions' fast path (console.suggest, console.suggest_cache): the same answers as the first
version (bench/naive_suggest.py) on the hand-written evaluation texts, and caches that never serve a
stale part — a knowledge base edited, a classifier hot-reloaded, a gazetteer reloaded — while the
similar tickets follow every ticket taken in, closed or merged at once."""

from __future__ import annotations

import importlib.util
import random
import sys

import pytest
from django.conf import settings

from classify import services as classify_services
from classify import training
from classify.models import ClassifierVersion
from console import suggest_cache
from console.suggest import suggest
from dispatch.models import KnowledgeArticle, Status, Ticket
from geo.services import bump_gazetteer_version
from grid.models import User
from tests.helpers import CHANGQING, closed_water_ticket, label, make_ticket

pytestmark = pytest.mark.django_db

WATER = "长青社区停水一整天了没有通知，什么时候来水"


def naive():
    """bench/naive_suggest.py, the straightforward version the fast path must agree with."""
    bench = str(settings.BASE_DIR / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    spec = importlib.util.spec_from_file_location("naive_suggest", settings.BASE_DIR / "bench" / "naive_suggest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.naive_suggest


@pytest.fixture
def fresh():
    suggest_cache.clear_all()
    classify_services.forget_model()
    yield
    suggest_cache.clear_all()
    classify_services.forget_model()


def comparable(answer: dict) -> dict:
    """Ties in text similarity have no order of their own: compare the similar tickets sorted."""
    return {**answer, "similar": sorted(answer["similar"], key=lambda s: (-s["text_similarity"], s["number"]))}


def test_the_fast_path_answers_as_the_first_version_on_the_evaluation_texts(seats, trained, users, fresh):
    """Every part (categories, route, knowledge, referral, place, similar tickets) equal, for the city
    center and a county's call-taker, with open tickets around, asked twice (the second from the caches)."""
    for code, text in [
        (CHANGQING, "长青社区下水道堵了，污水溢到路面上"),
        (CHANGQING, WATER),
        ("410482", "小区门口路灯不亮"),
    ]:
        make_ticket(code=code, category="0101", description=text)
    make_ticket(code=CHANGQING, category="0801", description=WATER)
    rows = training.read_eval(classify_services.EVAL_SET)
    texts = [row.text for row in random.Random(13).sample(rows, 40)] + [WATER, "楼下着火了，浓烟很大"]
    reference = naive()
    lon, lat = label(CHANGQING)
    similar_seen = 0
    for username in ("city_calltaker", "ruzhou_calltaker"):
        user = User.objects.get(username=username)
        for text in texts:
            for kwargs in ({}, {"lon": lon, "lat": lat}, {"address": "新华区长青社区"}):
                want = comparable(reference(user=user, text=text, **kwargs))
                assert comparable(suggest(user=user, text=text, **kwargs)) == want, (username, text, kwargs)
                assert comparable(suggest(user=user, text=text, **kwargs)) == want  # from the caches
                similar_seen += len(want["similar"])
    assert similar_seen > 20  # the comparison covered similar tickets, not only empty lists
    assert suggest_cache.categories_cache.hits and suggest_cache.knowledge_cache.hits
    assert suggest_cache.geocode_cache.hits


def test_an_edited_knowledge_base_is_seen_at_once(seats, trained, users, fresh):
    """[IN-5] an article added, edited (also by a queryset update), deactivated: the next suggestion shows it."""
    user = users["city_calltaker"]
    text = "请问犬只登记要带什么材料"

    def questions():
        return [k["question"] for k in suggest(user=user, text=text)["knowledge"]]

    assert "养犬登记需要哪些材料" not in questions()
    article = KnowledgeArticle.objects.create(
        question="养犬登记需要哪些材料", answer="带上身份证……", keywords=["犬只登记"]
    )
    assert "养犬登记需要哪些材料" in questions()
    article.keywords = ["养狗证"]
    article.question = "养狗证怎么办"
    article.save()
    assert "养狗证怎么办" not in questions()
    KnowledgeArticle.objects.filter(pk=article.pk).update(keywords=["犬只登记"])
    assert "养狗证怎么办" in questions()
    KnowledgeArticle.objects.filter(pk=article.pk).update(is_active=False)
    assert "养狗证怎么办" not in questions()
    KnowledgeArticle.objects.filter(pk=article.pk).update(is_active=True)
    article.delete()
    assert "养狗证怎么办" not in questions()


def test_a_hot_reloaded_classifier_answers_at_once(seats, trained, users, fresh, settings):
    """A newer classifier version, once the process reloads it, answers the same text anew."""
    user = users["city_calltaker"]
    text = "路灯不亮，晚上走路看不见"
    first = [c["code"] for c in suggest(user=user, text=text)["categories"]]
    assert first and set(first) != {"0102", "1801"}
    tiny = training.TrainingSet()
    for phrase, code in [("井盖丢了", "0102"), ("井盖坏了", "0102"), ("欠薪不给", "1801"), ("工资拖欠", "1801")]:
        tiny.add(phrase, code)
    newer = ClassifierVersion.objects.create(version=trained.version + 1, model=training.dumps(training.fit(tiny)))
    try:
        settings.CLASSIFIER_RELOAD_SECONDS = 0
        assert {c["code"] for c in suggest(user=user, text=text)["categories"]} == {"0102", "1801"}
        newer.delete()
        assert [c["code"] for c in suggest(user=user, text=text)["categories"]] == first
    finally:
        ClassifierVersion.objects.filter(pk=newer.pk).delete()


def test_a_reloaded_gazetteer_is_geocoded_anew(seats, trained, users, fresh):
    """The geocoder's answers are kept per grid and gazetteer version: a new version asks the geocoder again."""
    user = users["city_calltaker"]
    suggest(user=user, text=WATER)
    suggest(user=user, text=WATER)
    assert (suggest_cache.geocode_cache.hits, suggest_cache.geocode_cache.misses) == (1, 1)
    bump_gazetteer_version(checksum="test")
    again = suggest(user=user, text=WATER)
    assert suggest_cache.geocode_cache.misses == 2
    assert again["place"]["inside_city"] and "长青社区" in again["place"]["area"]


def test_similar_tickets_follow_tickets_taken_in_closed_and_merged(seats, trained, users, fresh):
    """[SV-2] a new ticket is suggested at once; closed, or merged into another as its duplicate, it is not."""
    user = users["city_calltaker"]

    def similar():
        return [s["number"] for s in suggest(user=user, text=WATER)["similar"]]

    assert similar() == []
    closed = closed_water_ticket(users)
    assert closed.number not in similar()
    kept = make_ticket(category="0801", description=WATER)
    dup = make_ticket(category="0801", description="长青社区停水了")
    assert set(similar()) == {kept.number, dup.number}
    from dispatch.services import merge_duplicate

    merge_duplicate(ticket=dup, by=users["city_dispatcher"], into=kept, note="同一小区同一次停水")
    assert Ticket.objects.get(pk=dup.pk).status not in (Status.PENDING_DISPATCH, Status.DISPATCHED)
    assert similar() == [kept.number]


def test_a_user_without_an_office_gets_no_similar_tickets(seats, trained, users, fresh):
    make_ticket(category="0801", description=WATER)
    nobody = User.objects.create_user("no_office_calltaker", password="x")
    assert suggest(user=nobody, text=WATER)["similar"] == []


def test_the_lru_keeps_the_newest_entries():
    cache = suggest_cache.LRU(size=2)
    for key in ("a", "b", "a", "c"):
        cache.get_or_compute(key, lambda key=key: key.upper())
    assert len(cache) == 2 and (cache.hits, cache.misses) == (1, 3)
    assert cache.get_or_compute("b", lambda: "again") == "again"  # "b" was the least recently used
