"""The patterns of the demo history: how often each category, channel, kind and urgency comes,
by hour, weekday and season, and the texts of requests and replies."""

from __future__ import annotations

import datetime as dt
import random

DEFAULT_COUNT = 20_000
DEFAULT_SEED = 12345
DEFAULT_DAYS = 183

# Relative weight of each leaf category in an ordinary week (city management ≈ 13% [AN-2]).
BASE_WEIGHT = {
    "0101": 7, "0102": 1.5, "0103": 4, "0104": 1.5, "0105": 2, "0106": 1.5,
    "0201": 4, "0202": 2, "0203": 1, "0204": 0.6, "0301": 1.2, "0302": 0.5,
    "0401": 7, "0402": 1, "0403": 1.2, "0404": 1.5, "0501": 1, "0502": 0.6, "0601": 1.2,
    "0701": 1, "0702": 1, "0703": 0.6, "0801": 2.5, "0802": 1, "0803": 1, "0804": 1,
    "0901": 2, "0902": 0.8, "1001": 0.8, "1002": 0.6,
    "1101": 4, "1102": 0.8, "1103": 1.5, "1104": 0.5, "1201": 1, "1202": 0.8, "1301": 2.5, "1302": 1.5,
    "1401": 1.2, "1402": 0.5, "1501": 5, "1502": 1.5, "1601": 0.8, "1701": 1.5, "1702": 1,
    "1801": 3, "1802": 1, "1901": 2.5, "2001": 1.2, "2101": 0.5, "2102": 0.8, "2201": 1, "2202": 0.8,
    "2301": 1.5, "2302": 0.6, "2401": 2, "2402": 0.8, "2501": 1.5, "2601": 1, "2701": 0.8, "2801": 1.5, "2802": 0.8,
}  # fmt: skip
URBAN = {"01", "02", "03", "04", "07", "11", "15", "17", "24"}
RURAL = {"27", "28"}
HOTSPOT_CATEGORIES = {"0101", "0401"}  # drains and parking cluster in a few central communities [AN-2]
CHANNELS = [
    ("phone", 60), ("wechat", 12), ("web", 8), ("app", 8), ("grid_worker", 5), ("mayor_mailbox", 3),
    ("national_platform", 1.5), ("weibo", 1.5), ("media", 0.5), ("leaders_board", 0.5),
]  # fmt: skip
KINDS = [("complaint", 45), ("help", 24), ("consultation", 15), ("report", 9), ("suggestion", 5), ("praise", 2)]
URGENCIES = [("general", 88), ("urgent", 10), ("extra_urgent", 2)]
HOUR_WEIGHT = [0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 1, 3, 6, 8, 8, 7, 5, 5, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1]
WEEKDAY_WEIGHT = [1.15, 1.05, 1.0, 1.0, 1.0, 0.8, 0.75]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰涛明超秀英华玉兰桂红霞平刚辉鹏飞建国志文斌浩宇轩晨欣怡"
DETAILS = {
    "0101": [
        "{b}号楼下水道堵了，污水从地漏返上来",
        "{b}号楼前的下水道堵塞，污水漫到路面上",
        "小区{b}号楼化粪池满溢，臭味很大",
    ],
    "0401": [
        "{b}号楼门口车辆乱停，消防通道被堵",
        "小区门口长期有车辆违停，早晚高峰进出困难",
        "路边车辆双排停放，公交车过不去",
    ],
    "0103": ["路口早晚有流动摊贩占道经营，影响通行", "夜市摊位占用人行道，行人只能走机动车道"],
    "1101": ["晚上广场舞音响声音太大，影响休息", "附近工地夜间施工噪音扰民，凌晨还在作业", "楼下烧烤店深夜噪音很大"],
    "0701": ["{b}号楼暖气管道漏水，楼道积水结冰", "家里暖气片接口漏水，已经泡坏了地板"],
    "0702": ["{b}号楼暖气不热，室温只有十几度", "供暖以后家里暖气一直不热，老人孩子受不了"],
    "0801": ["{b}号楼从早上开始停水，没有任何通知", "小区连续两天停水，什么时候能恢复"],
    "0901": ["小区突然停电，已经三个小时了", "这一片夏天经常停电，空调没法用"],
    "1501": ["物业不作为，{b}号楼楼道灯坏了半个月没人修", "物业乱收停车费，业主意见很大"],
    "0201": ["{b}号楼旁边的垃圾桶满了好几天没人清运", "垃圾清运不及时，夏天臭味很大"],
}
REFUSALS = [
    ("emergency", "楼下有人晕倒了，叫不醒，怎么办"),
    ("legal_process", "这件劳动纠纷我已经申请仲裁了，想请政府督促"),
    ("outside_jurisdiction", "我在郑州市买的房子漏水，开发商不管"),
    ("abuse_or_vague", "有事"),
]
REPLY_TEXT = {
    "facts": "经{office}工作人员现场核实，{problem}情况属实。",
    "result": "已于当日组织人员处理完毕，现场已恢复正常，并已向诉求人电话告知处理结果，诉求人表示认可。",
    "basis": "依据相关管理规定及本单位职责",
}


def _choice(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


def season_factor(code: str, day: dt.date) -> float:
    """How much more (or less) often a category comes in on this day than in an ordinary week."""
    m, d = day.month, day.day
    heating_season = (m == 11 and d >= 15) or m in (12, 1, 2) or (m == 3 and d <= 15)
    if code in ("0701", "0702"):
        return 12.0 if heating_season else 0.15
    if code == "0703":
        return 4.0 if m in (10, 11) else 0.5
    if code == "1101":
        return {6: 3.0, 7: 3.2, 8: 3.0, 9: 1.6}.get(m, 0.6)
    if code == "0101":
        return {7: 2.6, 8: 2.4, 6: 1.4}.get(m, 1.0)
    if code in ("0801", "0804", "0901"):
        return {6: 1.6, 7: 2.2, 8: 2.2}.get(m, 0.8)
    if code == "2201":
        return {6: 3.0, 7: 4.0, 8: 3.0}.get(m, 0.3)
    return 1.0
