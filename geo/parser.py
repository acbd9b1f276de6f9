"""Chinese address parser: pulls the place parts out of free text.

Pure Python, no database: the names it knows come in a ``Lexicon`` (built from
the gazetteer by geo.index, or by hand in tests). Text is normalized first
(NFKC folds full-width forms, OpenCC turns traditional characters into
simplified, Chinese numerals before a unit become digits), then scanned once,
left to right, for the longest known name at each position. Around those names
regular expressions find what names alone do not say: crossings (与/和/跟 …
交叉口/路口/交汇处), corners (东北角), road sides (路东, 南侧), house numbers
(号, 号院, 栋, 单元), proximity words (附近, 对面) and offsets (往东100米).

``parse`` never raises on any ``str`` and runs in time linear in the length of
the text (texts longer than MAX_TEXT_CHARS are cut there first).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

MAX_TEXT_CHARS = 2_000

# Kinds of names a lexicon holds, most general first.
ADMIN_KINDS = ("city", "county", "township", "community")
STREET_KINDS = ("road", "place")


@dataclass(frozen=True)
class Entry:
    """What a name can refer to: a kind, the code of the feature, and the form
    of the name (``full``: the official name; ``alias``: another full form;
    ``short``: a bare name without its suffix, which ordinary words may also be)."""

    kind: str
    ref: str
    form: str = "full"


@dataclass(frozen=True)
class Mention:
    """A known name found in the normalized text, at [start, end)."""

    start: int
    end: int
    text: str
    entries: tuple[Entry, ...]

    def of_kind(self, *kinds: str) -> list[Entry]:
        return [e for e in self.entries if e.kind in kinds]


class Lexicon:
    """Names → entries, keyed by their normalized form, with a first-character
    index so that a scan tries only the lengths that can match."""

    def __init__(self, names: dict[str, list[Entry]] | None = None):
        self._names: dict[str, tuple[Entry, ...]] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._road_names: dict[tuple[str, int], tuple[str, ...]] = {}
        for name, entries in (names or {}).items():
            self.add(name, entries)

    def add(self, name: str, entries: list[Entry] | tuple[Entry, ...]) -> None:
        key = normalize(name)
        if len(key) < 2:
            return
        merged = tuple(dict.fromkeys((*self._names.get(key, ()), *entries)))
        self._names[key] = merged
        lengths = set(self._lengths.get(key[0], ()))
        lengths.add(len(key))
        self._lengths[key[0]] = tuple(sorted(lengths, reverse=True))
        if any(e.kind == "road" and e.form == "full" for e in entries):
            suffix = next((s for s in ("大道", "大街", "路", "街") if key.endswith(s)), None)
            if suffix:
                known = self._road_names.get((suffix, len(key)), ())
                if key not in known:
                    self._road_names[(suffix, len(key))] = (*known, key)

    def __len__(self) -> int:
        return len(self._names)

    def near_road(self, phrase: str) -> tuple[Entry, ...]:
        """Entries of the one road name that differs from the phrase in one
        character before the same suffix (常青路 → 长青路); () if none or several."""
        suffix = next((s for s in ("大道", "大街", "路", "街") if phrase.endswith(s)), None)
        if suffix is None or len(phrase) < 3:
            return ()
        close = [
            name
            for name in self._road_names.get((suffix, len(phrase)), ())
            if sum(x != y for x, y in zip(name, phrase)) == 1
        ]
        if len(close) != 1:
            return ()
        return tuple(Entry(e.kind, e.ref, "fuzzy") for e in self._names[close[0]] if e.kind == "road")

    def get(self, key: str) -> tuple[Entry, ...]:
        return self._names.get(key, ())

    def scan(self, text: str) -> list[Mention]:
        """Leftmost-longest, non-overlapping matches of known names."""
        found: list[Mention] = []
        i, n = 0, len(text)
        names, lengths = self._names, self._lengths
        while i < n:
            hit = None
            for length in lengths.get(text[i], ()):
                if i + length <= n:
                    entries = names.get(text[i : i + length])
                    if entries:
                        hit = Mention(i, i + length, text[i : i + length], entries)
                        break
            if hit is None:
                i += 1
            else:
                found.append(hit)
                i = hit.end
        return found


# ---------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二三四五六七八九十百千两"
# Chinese numerals are turned into digits only before these units, so that
# names such as 五一路, 九里山 and 四棵树乡 stay as they are.
_NUMBER_UNITS = "号院|号楼|号|栋|幢|单元|层|楼|室|米|公里|排"
_CN_NUMBER_RE = re.compile(f"([{_CN_NUM}]{{1,8}})(?={_NUMBER_UNITS})")
_DROP_RE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]+")


def cn_to_int(s: str) -> int | None:
    """二十三 → 23, 一百零五 → 105, 一九 → 19, 十 → 10; None when it is not a number."""
    if not s or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in s):
        return None
    if not any(c in _CN_UNITS for c in s):  # digit by digit: 一九 → 19
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    total, current = 0, 0
    for c in s:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            total += (current or 1) * unit
            current = 0
    return total + current


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Simplified characters, half-width forms, no spaces, digits for numbers."""
    if not isinstance(text, str):
        return ""
    text = text[:MAX_TEXT_CHARS]
    # lone surrogates cannot be normalized or encoded: drop them first
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    text = _DROP_RE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if not text:
        return ""
    text = _t2s().convert(text).lower()
    # compose again: dropping a space can join a letter to a combining mark (T + ¨ → ẗ), and
    # normalizing twice must give the same text
    text = unicodedata.normalize("NFKC", text)
    text = _CN_NUMBER_RE.sub(
        lambda m: str(cn_to_int(m.group(1)) if cn_to_int(m.group(1)) is not None else m.group(1)), text
    )
    # one character can expand to 18 under NFKC (ﷺ): the cap holds for the output too
    return text[:MAX_TEXT_CHARS]


# ---------------------------------------------------------------------------
# Parts around the names
# ---------------------------------------------------------------------------

DIRECTIONS = {
    "东": (1.0, 0.0),
    "西": (-1.0, 0.0),
    "南": (0.0, -1.0),
    "北": (0.0, 1.0),
    "东北": (0.7071, 0.7071),
    "东南": (0.7071, -0.7071),
    "西北": (-0.7071, 0.7071),
    "西南": (-0.7071, -0.7071),
}
_DIR = "东北|东南|西北|西南|东|西|南|北"

# Between two roads of a crossing, and after the second one.
_JOIN_RE = re.compile(r"^(?:与|和|跟|同|及|交|、|/|\||-|&|\+|,|，)?$")
_CROSS_MARK_RE = re.compile(r"^(?:的)?(?:交叉路口|交叉口|十字路口|丁字路口|交汇处|交会处|交界处|交口|路口|十字|口)")
_CORNER_RE = re.compile(rf"^(?:的)?({_DIR})(?:角|侧|方向|方|边|面)")
# 路东 / 路南侧 right after a road, or 东侧 / 南边 after a road or place.
_ROAD_SIDE_RE = re.compile(r"^(?:的)?(?:路)?(东|西|南|北)(?:侧|边|面)?(?![路街道])")
_SIDE_RE = re.compile(r"^(?:的)?(东|西|南|北)(?:侧|边|面)")
# 19号楼 is a building; 88号楼道 is number 88 and its stairwell
_HOUSE_RE = re.compile(r"^(\d{1,5})(?:-(\d{1,4}))?号(?!楼(?!道))(院)?")
_BUILDING_RE = re.compile(r"(\d{1,4})(?:号楼(?!道)|栋|幢)")
_UNIT_RE = re.compile(r"(\d{1,3})单元")
_OFFSET_RE = re.compile(
    rf"(?:往|向|朝)?({_DIR})(?:方向)?(?:走|行|直行)?(?:约|大约|大概)?(\d{{1,5}}|[{_CN_NUM}]{{1,6}})(米|m|公里|km|里)(?:左右|处|远)?"
)
_PROXIMITY_RE = re.compile(r"斜对面|对面|对过|附近|旁边|隔壁|周边|一带|门口|门前|旁")
PROXIMITY_KINDS = {
    "斜对面": "opposite",
    "对面": "opposite",
    "对过": "opposite",
    "附近": "near",
    "周边": "near",
    "一带": "near",
    "旁边": "beside",
    "隔壁": "beside",
    "旁": "beside",
    "门口": "at",
    "门前": "at",
}
# Road-like and place-like phrases the lexicon does not know, for fuzzy lookup.
_ROAD_LIKE_RE = re.compile(r"([\u4e00-\u9fff]{1,5}?)(大道|大街|路|街)(?![道区])")
_PLACE_LIKE_RE = re.compile(
    r"([\u4e00-\u9fff0-9]{2,10}?)(小区|花园|家园|广场|医院|卫生院|小学|中学|学校|学院|市场|公园|大厦|酒店|宾馆|超市|商场|公寓|雅苑|嘉园|华庭|名郡|新城)"
)
# Characters that end a name on its left: "我要反映" + "新建路" …
_STOP_CHARS = set("在于的是到从和与跟及我你他她它们要想请问说把被给对向往朝由让啊吧呢吗了着过就也都还又很个这那某有没")
_VAGUE_NAMES = {"小区", "医院", "学校", "市场", "公园", "广场", "马路", "街道", "大街", "路"}


@dataclass
class HouseNumber:
    road: Mention
    number: int
    sub: int | None = None
    compound: bool = False  # 号院


@dataclass
class Offset:
    direction: str
    meters: float

    @property
    def vector(self) -> tuple[float, float]:
        dx, dy = DIRECTIONS[self.direction]
        return dx * self.meters, dy * self.meters


@dataclass
class ParsedAddress:
    """Everything found in one text; positions index ``normalized``."""

    query: str
    normalized: str
    mentions: list[Mention] = field(default_factory=list)
    crossings: list[tuple[Mention, Mention, bool]] = field(default_factory=list)  # (a, b, marked as a crossing)
    house_number: HouseNumber | None = None
    building: int | None = None
    unit: int | None = None
    corner: str | None = None
    side: str | None = None
    side_of: Mention | None = None
    proximity: str | None = None
    proximity_word: str | None = None
    offset: Offset | None = None
    unknown_roads: list[str] = field(default_factory=list)
    unknown_places: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if any(e.kind == kind for e in m.entries)]


def _trim_left(phrase: str) -> str:
    """Keep the part of a phrase after its last stop character."""
    for i in range(len(phrase) - 1, -1, -1):
        if phrase[i] in _STOP_CHARS:
            return phrase[i + 1 :]
    return phrase


def _meters(amount: str, unit: str) -> float | None:
    value = int(amount) if amount.isdigit() else cn_to_int(amount)
    if value is None:
        return None
    return float(value) * {"米": 1, "m": 1, "公里": 1000, "km": 1000, "里": 500}[unit]


def parse(text: str, lexicon: Lexicon | None = None) -> ParsedAddress:
    """The place parts of a text. Never raises; linear in the text's length."""
    try:
        return _parse(text if isinstance(text, str) else "", lexicon or Lexicon())
    except Exception:  # pragma: no cover - a parser bug must not lose the ticket
        return ParsedAddress(query=text if isinstance(text, str) else "", normalized="")


def _parse(text: str, lexicon: Lexicon) -> ParsedAddress:
    norm = normalize(text)
    out = ParsedAddress(query=text, normalized=norm)
    if not norm:
        return out
    mentions = lexicon.scan(norm)
    # a road name off by one character (常青路 for 长青路) still makes a crossing
    covered = bytearray(len(norm))
    for m in mentions:
        covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    for found in _ROAD_LIKE_RE.finditer(norm):
        if any(covered[found.start() : found.end()]):
            continue
        phrase = _trim_left(found.group(1)) + found.group(2)
        entries = lexicon.near_road(phrase)
        if entries:
            start = found.end() - len(phrase)
            mentions.append(Mention(start, found.end(), phrase, entries))
            covered[start : found.end()] = b"\x01" * len(phrase)
    mentions.sort(key=lambda m: m.start)
    out.mentions = mentions
    roads = [m for m in mentions if m.of_kind("road")]

    # Crossings: two roads side by side (与/和/跟/交 or nothing between them).
    for a, b in zip(roads, roads[1:]):
        between = norm[a.end : b.start]
        if not _JOIN_RE.match(between):
            continue
        after = norm[b.end : b.end + 8]
        marked = bool(_CROSS_MARK_RE.match(after)) or between == "交" or bool(_CORNER_RE.match(after))
        out.crossings.append((a, b, marked))

    # Corner of a crossing, or side of a road / place.
    for _a, b, _marked in out.crossings:
        tail = norm[b.end : b.end + 16]
        mark = _CROSS_MARK_RE.match(tail)
        rest = tail[mark.end() :] if mark else tail
        corner = _CORNER_RE.match(rest)
        if corner:
            out.corner = corner.group(1)
            break
    if out.corner is None:
        for m in mentions:
            if not m.of_kind("road", "place"):
                continue
            tail = norm[m.end : m.end + 6]
            side = _ROAD_SIDE_RE.match(tail) if m.of_kind("road") else _SIDE_RE.match(tail)
            if side and not _HOUSE_RE.match(tail):
                out.side, out.side_of = side.group(1), m
                break

    # House number right after a road: 新建路88号, 建设路12-3号, 开源路5号院.
    for m in roads:
        house = _HOUSE_RE.match(norm[m.end : m.end + 12])
        if house:
            out.house_number = HouseNumber(
                road=m,
                number=int(house.group(1)),
                sub=int(house.group(2)) if house.group(2) else None,
                compound=bool(house.group(3)),
            )
            break
    building = _BUILDING_RE.search(norm)
    if building:
        out.building = int(building.group(1))
    unit = _UNIT_RE.search(norm)
    if unit:
        out.unit = int(unit.group(1))

    offset = _OFFSET_RE.search(norm)
    if offset:
        meters = _meters(offset.group(2), offset.group(3))
        if meters is not None and 0 < meters <= 20_000:
            out.offset = Offset(direction=offset.group(1), meters=meters)
    proximity = _PROXIMITY_RE.search(norm)
    if proximity:
        out.proximity_word = proximity.group(0)
        out.proximity = PROXIMITY_KINDS[out.proximity_word]

    # Phrases that look like roads or places but are not in the lexicon.
    for regex, bucket in ((_ROAD_LIKE_RE, out.unknown_roads), (_PLACE_LIKE_RE, out.unknown_places)):
        for found in regex.finditer(norm):
            # a road phrase must be wholly unknown; a place phrase may contain a
            # known name (平顶山 + 第一人民医院) but not be one (锦华新城)
            if regex is _ROAD_LIKE_RE and any(covered[found.start() : found.end()]):
                continue
            if any(m.start <= found.start() and found.end() <= m.end for m in mentions):
                continue
            phrase = _trim_left(found.group(1)) + found.group(2)
            stem = phrase[: -len(found.group(2))]
            if len(stem) >= 2 and phrase not in _VAGUE_NAMES and phrase not in bucket:
                bucket.append(phrase)
            if len(bucket) >= 3:
                break
    return out
