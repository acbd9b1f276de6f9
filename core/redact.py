"""Personal data out of citizens' texts before they reach the public record [PUB-1][PUB-3] (issue 16)
and the anonymous Open311 list (issue 18).

``redact(text)`` replaces what points at a person and keeps what the public needs to follow a case:
the place down to the building, times, dates, amounts, counts, road numbers.

What is removed, and what it becomes (one neutral mark per item, so a reader still sees that there was
a phone number or a name, and the sentence still reads):

=========================  ===========================================  ===================
kind                       forms recognised                             mark
=========================  ===========================================  ===================
e-mail                     name@host.tld                                ``[邮箱]``
QQ / WeChat account        QQ号 12345678, 微信：wx_name                   ``[QQ号]``, ``[微信号]``
ID-card number             18 digits (last may be X; date of birth      ``[身份证号]``
                           checked) or 15 digits (old cards), spaces
                           between the 6/8/4 groups allowed
bank card                  any other 16-19 digit run, in groups of 4     ``[银行卡]``
                           or not
mobile phone               1[3-9]x + 8 digits, +86/0086 prefix, spaces   ``[电话]``
                           or dashes anywhere
landline                   (0375)/0375-/0375 + 7-8 digits; a bare 7-8    ``[电话]``
                           digit number starting 2-9 unless it is a
                           quantity (followed by 元, 米, 人, 号 …), a
                           date (20261205) or part of a code (PDS-…)
vehicle plate              豫D·12345, 豫D12345, 豫DA1234, new-energy     ``[车牌]``
                           豫DD12345/豫D12345F, 学/警/挂 plates; the
                           separator may be · . - or a space
name + courtesy title      张先生, 王芳女士, 欧阳女士, 李小姐, 刘师傅,     ``某先生``, ``某女士`` …
                           赵阿姨, 孙大爷, 周大妈, 吴大姐, 郑老师: a        (the title is kept)
                           common surname (single or compound) and up
                           to two given-name characters; any one
                           character before 先生/女士/小姐 after a pause
                           or a word for the person (市民, 业主 …)
labelled name              联系人：张三, 姓名:李四, 投诉人：王五 …          ``某某``
house below the building   unit 2单元 / 二单元; room 501室, 501房,         ``X单元``, ``X室``,
                           3号楼501, 2单元501, 2-501, 3-2-501, 住在1203,   ``X``, ``X-X``
                           房间号0806; and once a text names a room,
                           any other floor-and-room number (楼上803)
=========================  ===========================================  ===================

Kept on purpose: the building (3号楼, 5栋, 12号院), floors (6楼, 6层: many households share one),
street numbers (建设路12号: a gate, not a home below the building), village house numbers, the
hotline's own and service numbers (12345, 5-digit numbers, 400-xxx-xxxx), dates, times, amounts,
counts and postcodes. A name without a courtesy title or a label ("张伟说") is not recognised: in
free Chinese text it cannot be told from ordinary words without a dictionary, and the intake keeps
the caller's name in its own field, not in the description.

The order of the rules matters and is fixed: long digit runs (ID card, bank card) before phones,
phones before plates and house numbers, so that a number is redacted by the rule that knows its
whole length. Measured on tests/data/redact_eval.jsonl by bench/redact.py (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import re

D = "[0-9０-９]"  # citizens type full-width digits on some phones
SEP = "[ \u3000\\-－—]"  # a separator inside a number

# Common surnames (the ~120 most frequent single ones, and the compound ones); characters that are also
# frequent words before a title ("和", "与", "向") are left out on purpose.
SURNAMES_COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|令狐|慕容|公孙|夏侯|尉迟|长孙|宇文|司徒|端木|南宫|独孤|西门"
SURNAMES_SINGLE = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简"
    "车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩明佘池查麻苑迟邝洪胥蔺栗邰阚荆禹贝揭楚谈宣鞠伏茅强娄危郁杭储汲井巴牧宓仰伊暴厉戎祖束幸韶郜"
    "蓟薄印怀鄂索咸赖屠阴苍闻莘扶宰郦雍璩濮寿扈燕冀郏阎茹习鱼容慎戈庾暨衡弘匡寇禄阙欧蔚越夔隆厍晁勾融那乜竺逯盖桓逄"
)
# characters that are more often the end of a word before a title than a surname: 保安师傅, 司机师傅,
# 出租车师傅, 环卫阿姨, 宿管阿姨, 房东, 商户, 教师, 单位, 路边 …
SURNAMES_SINGLE = "".join(c for c in SURNAMES_SINGLE if c not in "和司车卫管路房商安师单连全应时明")
SURNAME = f"(?:{SURNAMES_COMPOUND}|[{SURNAMES_SINGLE}])"
# characters that do not occur in a given name but often right after a surname-like character in text
NOT_GIVEN = (
    "的了是在和与及或被把给对向从到说叫让请找问这那个位些都也就还又很其它他她们我你您该每各名号某边面上下里外前后中间"
)
GIVEN = f"(?:[\u4e00-\u9fff](?<![{NOT_GIVEN}]))"
TITLES = "先生|女士|小姐|师傅|阿姨|大爷|大妈|大姐|老师"
PERSON_WORDS = "市民|业主|居民|来电人|户主|车主|租户|住户|村民|家长|学员|患者|邻居|联系人|反映人|投诉人"
LABELS = "联系人|姓名|来电人|反映人|投诉人|求助人|申请人|报修人|举报人"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTER = "[A-HJ-NP-Za-hj-np-zＡ-Ｚ]"
PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9０-９]"

CN_NUM = "[一二三四五六七八九十]{1,3}"
# what follows a number that is a quantity, not a phone or a room
UNITS = "元块万亿千百米里斤吨克升度个人位名户家次天年月日号时点分秒岁%％辆台间栋层楼平方㎡条棵只处份件起批周趟"

QUANTITY = UNITS.replace("楼", "").replace("层", "").replace("栋", "")  # 2-1101楼上: a room, not a count

# Once a text names a room, another floor-and-room-like number in it is a neighbour's room (楼上803的防水层).
ROOM_MARKS = re.compile(r"X室|X-X|[楼栋幢座元]X")
ROOM_LIKE = re.compile(rf"(?<![0-9０-９\-.:/A-Za-z])[1-9]{D}?0[1-9](?![0-9０-９\-.]|\s*[{UNITS}])")

RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[邮箱]"),
    (re.compile(rf"((?:QQ|qq|ＱＱ)号?(?:码)?[:：]?\s*)[1-9]{D}{{4,10}}(?![0-9０-９])"), r"\1[QQ号]"),
    (re.compile(r"((?:微信号?|wx|WX)[:：]?\s*)[A-Za-z][-_A-Za-z0-9]{5,19}"), r"\1[微信号]"),
    (
        re.compile(
            rf"(?<![0-9０-９A-Za-z])[1-8]{D}{{5}} ?(?:19|20){D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{D}|3[01]) ?{D}{{3}}[0-9０-９Xx]"
            r"(?![0-9０-９A-Za-z])"
        ),
        "[身份证号]",
    ),
    (
        re.compile(
            rf"(?<![0-9０-９A-Za-z])[1-8]{D}{{5}}{D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{D}|3[01]){D}{{3}}(?![0-9０-９A-Za-z])"
        ),
        "[身份证号]",
    ),
    (
        re.compile(rf"(?<![0-9０-９])[3-6３-６]{D}{{3}}(?:[ \-]?{D}{{4}}){{3}}(?:[ \-]?{D}{{1,3}})?(?![0-9０-９])"),
        "[银行卡]",
    ),
    (re.compile(rf"(?<![0-9０-９])(?:(?:\+|00)?86{SEP}?)?[1１][3-9３-９](?:{SEP}?{D}){{9}}(?![0-9０-９])"), "[电话]"),
    (
        re.compile(
            rf"(?<![0-9０-９])(?:[(（]0[1-9]{D}{{1,2}}[)）]|0[1-9]{D}{{1,2}}){SEP}?[2-9]{D}{{6,7}}(?![0-9０-９])"
        ),
        "[电话]",
    ),
    (
        re.compile(
            rf"(?<![0-9０-９A-Za-z\-./:])(?<![编户单工序批型账学]号)(?!(?:19|20){D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{D}|3[01])(?![0-9]))"
            rf"[2-9]{D}{{6,7}}(?![0-9０-９A-Za-z\-.]|\s*[{UNITS}])"
        ),
        "[电话]",
    ),
    (
        re.compile(
            rf"[{PROVINCES}] ?{PLATE_LETTER}[·・•.\- ]?(?:{PLATE_CHAR}{{5,6}}|{PLATE_CHAR}{{4}}[学警挂领港澳])"
            rf"(?![A-Za-z0-9０-９])"
        ),
        "[车牌]",
    ),
    # house below the building: unit, then room
    (re.compile(rf"(?<![0-9０-９])(?:{D}{{1,2}}|{CN_NUM})\s*单元"), "X单元"),
    (re.compile(rf"(?<![0-9０-９\-]){D}{{1,2}}-{D}{{1,2}}-{D}{{3,4}}(?![0-9０-９\-])"), "X-X-X"),
    (
        re.compile(rf"(?<![0-9０-９\-.:/年月]){D}{{1,2}}-{D}{{3,4}}(?![0-9０-９\-]|\s*[{QUANTITY}])"),
        "X-X",
    ),
    (re.compile(rf"(?<![0-9０-９\-])[A-Za-z]?{D}{{2,4}}\s*(?:室|房间|号房|房)(?!价|租|产|屋|东|主|型)"), "X室"),
    (
        re.compile(rf"((?:房间号|房号|住在|家住)[:：]?\s*){D}{{3,4}}(?![0-9０-９]|\s*[{UNITS.replace('号', '')}])"),
        r"\1X",
    ),
    (re.compile(rf"((?:号楼|栋|幢|座|单元|楼)\s*){D}{{3,4}}(?![0-9０-９]|\s*[{UNITS.replace('号', '')}])"), r"\1X"),
    # names
    (re.compile(rf"({LABELS})([:：]\s*){SURNAME}{GIVEN}{{1,2}}"), r"\1\2某某"),
    (re.compile(rf"(?<![保环门宿])(?!(?<=主)任){SURNAME}{GIVEN}{{0,2}}?({TITLES})"), r"某\1"),
    # a surname not in the list, where only a name can stand: after a pause or a word for the person
    (
        re.compile(
            rf"((?:^|[，。；：:、\s（(]|{PERSON_WORDS}))(?![{NOT_GIVEN}老小大男女])[\u4e00-\u9fff](先生|女士|小姐)"
        ),
        r"\1某\2",
    ),
]


def redact(text: str) -> str:
    """The text with phone numbers, ID-card numbers, bank cards, e-mails, plates, names by a courtesy title
    and house numbers below the building replaced by neutral marks (see the module docstring)."""
    for pattern, mark in RULES:
        text = pattern.sub(mark, text)
    if ROOM_MARKS.search(text):
        text = ROOM_LIKE.sub("X", text)
    return text
