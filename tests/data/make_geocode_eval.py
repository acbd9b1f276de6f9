#!/usr/bin/env python
"""Writes tests/data/geocode_eval.csv from the hand-written texts below.

The texts are written by hand, the way operators type calls and citizens write
on WeChat: clean addresses, complaint sentences, noise, traditional characters,
numerals, typos and texts that name no place. Each text carries what it refers
to (a crossing, an address, a place, an area, or nothing); the expected
township is then read from the fixture files with shapely (the truth of the
synthetic city), never from the geocoder. A reference that does not resolve to
exactly one feature stops the script.

Run from the repository root: .venv/bin/python tests/data/make_geocode_eval.py
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "pingdingshan"
OUT = ROOT / "tests" / "data" / "geocode_eval.csv"
METRIC = Transformer.from_crs(4326, 4547, always_xy=True)
GEOGRAPHIC = Transformer.from_crs(4547, 4326, always_xy=True)
DIRS = {
    "NE": (1, 1),
    "NW": (-1, 1),
    "SE": (1, -1),
    "SW": (-1, -1),
    "E": (1, 0),
    "W": (-1, 0),
    "N": (0, 1),
    "S": (0, -1),
}

# (text, reference, form). References:
#   X a b [corner] [county]   the crossing of roads a and b (corner NE…, 20 m off)
#   A road number [county]    house number on a road
#   P name [county]           a place by its name
#   T code / M code           a township / a community by code
#   C code                    only a county is named (no township expected)
#   R road [county]           only a road is named (no township expected)
#   Y                         only the city is named
#   N                         no place at all
TEXTS: list[tuple[str, str, str]] = [
    # --- the examples -------------------------------------------------
    ("我要反映新建路与长青路交叉口东北角热力管道漏水", "X 新建路 长青路 NE", "complaint"),
    ("寶豐縣城關鎮某小區門口停車亂", "T 410421100", "traditional"),
    ("光明路街道长青社区19号楼下水道堵了", "M 410402002005", "complaint"),
    # --- crossings in the central districts ------------------------------------
    ("新建路与长青路交叉口", "X 新建路 长青路", "plain"),
    ("长青路和新建路路口", "X 新建路 长青路", "plain"),
    ("新建路跟长青路交汇处的井盖坏了", "X 新建路 长青路", "complaint"),
    ("新華區新建路與長青路交叉口西南角有個大坑", "X 新建路 长青路 SW", "traditional"),
    ("新建路 / 长青路 十字路口 红绿灯不亮", "X 新建路 长青路", "noisy"),
    ("长青路新建路口站牌被撞倒了", "P 长青路新建路口站", "complaint"),
    ("建设路与开源路交叉口", "X 建设路 开源路", "plain"),
    ("建设中路和开源路十字路口早上堵得厉害", "X 建设路 开源路", "complaint"),
    ("開源路與建設路交叉口東南角", "X 建设路 开源路 SE", "traditional"),
    ("矿工路与中兴路交叉口", "X 矿工路 中兴路", "plain"),
    ("矿工中路中兴路口，下水道冒水", "X 矿工路 中兴路", "complaint"),
    ("礦工路與中興路交叉口西北角", "X 矿工路 中兴路 NW", "traditional"),
    ("矿工路与光明路交叉口", "X 矿工路 光明路", "plain"),
    ("光明路和矿工路交叉口东北角的路灯一直不亮", "X 矿工路 光明路 NE", "complaint"),
    ("矿工路与开源路交叉口", "X 矿工路 开源路", "plain"),
    ("矿工路与优越路交叉口有人占道经营", "X 矿工路 优越路", "complaint"),
    ("优越路矿工路口", "X 矿工路 优越路", "plain"),
    ("矿工路与东环路交叉口", "X 矿工路 东环路", "plain"),
    ("矿工东路东环路口西南角垃圾堆了好几天", "X 矿工路 东环路 SW", "complaint"),
    ("矿工路与神马大道交叉口", "X 矿工路 神马大道", "plain"),
    ("神马大道跟矿工路交叉的地方路面塌了", "X 矿工路 神马大道", "complaint"),
    ("矿工路与许南路交叉口", "X 矿工路 许南路", "plain"),
    ("建设路与光明路交叉口", "X 建设路 光明路", "plain"),
    ("建设路和新建路交叉口东南角有人烧烤油烟大", "X 建设路 新建路 SE", "complaint"),
    ("建设路与中兴路交叉口", "X 建设路 中兴路", "plain"),
    ("建设西路与新华路交叉口", "X 建设路 新华路", "plain"),
    ("建设路与优越路交叉口", "X 建设路 优越路", "plain"),
    ("建设路与东环路交叉口", "X 建设路 东环路", "plain"),
    ("建设东路跟神马大道路口", "X 建设路 神马大道", "noisy"),
    ("建设路与光华路交叉口", "X 建设路 光华路", "plain"),
    ("建设路与许南路交叉口东北角", "X 建设路 许南路 NE", "plain"),
    ("建设路与五一路交叉口", "X 建设路 五一路", "plain"),
    ("建设路与东安路交叉口", "X 建设路 东安路", "plain"),
    ("长青路与光明路交叉口", "X 长青路 光明路", "plain"),
    ("长青路与开源路交叉口", "X 长青路 开源路", "plain"),
    ("长青路与中兴路交叉口附近有辆僵尸车", "X 长青路 中兴路", "complaint"),
    ("长青路与五一路交叉口", "X 长青路 五一路", "plain"),
    ("长青路与东安路交叉口", "X 长青路 东安路", "plain"),
    ("凌云路与中兴路交叉口", "X 凌云路 中兴路", "plain"),
    ("凌云路和光明路交叉口", "X 凌云路 光明路", "plain"),
    ("凌云路与开源路交叉口", "X 凌云路 开源路", "plain"),
    ("凌云路与东环路交叉口西北角", "X 凌云路 东环路 NW", "plain"),
    ("湛河路与开源路交叉口", "X 开源路 湛河路", "plain"),
    ("开源路湛河路口桥下积水很深", "X 开源路 湛河路", "complaint"),
    ("湛河路与光明路交叉口", "X 光明路 湛河路", "plain"),
    ("湛河路与中兴路交叉口", "X 中兴路 湛河路", "plain"),
    ("湛河路与东环路交叉口", "X 东环路 湛河路", "plain"),
    ("湛河路与神马大道交叉口", "X 神马大道 湛河路", "plain"),
    ("南环路与开源路交叉口", "X 开源路 南环路", "plain"),
    ("南环路与中兴路交叉口", "X 中兴路 南环路", "plain"),
    ("南環路與新華路交叉口", "X 新华路 南环路", "traditional"),
    ("南环路与神马大道交叉口东南角", "X 神马大道 南环路 SE", "plain"),
    ("平安大道与开源路交叉口", "X 开源路 平安大道", "plain"),
    ("平安大道和高阳路交叉口", "X 平安大道 高阳路", "plain"),
    ("长安大道与开源路交叉口", "X 开源路 长安大道", "plain"),
    ("长安大道与荆山路交叉口", "X 长安大道 荆山路", "plain"),
    ("姚孟路与开源路交叉口", "X 开源路 姚孟路", "plain"),
    ("姚孟路跟高阳路交叉口那个井盖响", "X 姚孟路 高阳路", "complaint"),
    ("曙光街与光明路交叉口", "X 曙光街 光明路", "plain"),
    ("曙光街和开源路交叉口", "X 曙光街 开源路", "plain"),
    ("和平路与新华路交叉口", "X 和平路 新华路", "plain"),
    ("团结路与光明路交叉口", "X 团结路 光明路", "plain"),
    ("联盟路与开源路交叉口", "X 联盟路 开源路", "plain"),
    ("联盟路与东环路交叉口", "X 联盟路 东环路", "plain"),
    ("湛北路与神马大道交叉口", "X 湛北路 神马大道", "plain"),
    ("胜利街与光明路交叉口", "X 胜利街 光明路", "plain"),
    ("红旗街与新华路交叉口", "X 红旗街 新华路", "plain"),
    ("育英路与五一路交叉口", "X 育英路 五一路", "plain"),
    ("优越路与健康路交叉口", "X 优越路 健康路", "plain"),
    ("鸿鹰路与光华路交叉口", "X 鸿鹰路 光华路", "plain"),
    ("北环路与神马大道交叉口", "X 北环路 神马大道", "plain"),
    ("轻工路与新华路交叉口", "X 新华路 轻工路", "plain"),
    ("轻工路与九里山路交叉口", "X 轻工路 九里山路", "plain"),
    ("湛河路与湖滨路交叉口", "X 湛河路 湖滨路", "plain"),
    ("南环路与湖滨路交叉口", "X 南环路 湖滨路", "plain"),
    ("建设路与园林路交叉口", "X 建设路 园林路", "plain"),
    ("矿工路与新新街交叉口", "X 矿工路 新新街", "plain"),
    ("西高皇路与青石山路交叉口", "X 西高皇路 青石山路", "plain"),
    ("建设路与东高皇路交叉口", "X 建设路 东高皇路", "plain"),
    ("湛河路与稻香路交叉口", "X 湛河路 稻香路", "plain"),
    ("平安大道与北渡路交叉口", "X 平安大道 北渡路", "plain"),
    ("新建路与常青路交叉口漏水", "X 新建路 长青路", "noisy"),
    ("新 建 路 与 长 青 路 交 叉 口", "X 新建路 长青路", "noisy"),
    ("在建設路和優越路的十字路口，有車輛違停", "X 建设路 优越路", "traditional"),
    ("师傅你好，我在开源路和长安大道那个路口，这边红绿灯坏了没人管", "X 开源路 长安大道", "complaint"),
    ("投诉：神马大道与湛河路交叉口西北角工地夜间施工扰民！！！", "X 神马大道 湛河路 NW", "complaint"),
    ("凌云路光明路口往东100米有个井盖丢了", "X 凌云路 光明路 E100", "complaint"),
    # --- harder forms: abbreviations, speech-typed noise, mixed scripts ---------
    ("新建长青路口那里暖气管子漏水冒白烟", "X 新建路 长青路", "noisy"),
    ("光明路、矿工路交叉口", "X 矿工路 光明路", "noisy"),
    ("在那个矿工路跟那个中兴路的路口 有人打架", "X 矿工路 中兴路", "noisy"),
    ("Xinjian Rd 新建路与长青路 crossing, water leaking", "X 新建路 长青路", "noisy"),
    ("新建路与长青路交叉口東北角——熱力管道漏水！", "X 新建路 长青路 NE", "traditional"),
    ("新建路与长青路交叉口东北角热力管道漏水😭😭", "X 新建路 长青路 NE", "noisy"),
    ("地址：卫东区，建设路与东环路交叉口西南角", "X 建设路 东环路 SW", "noisy"),
    ("建设路／优越路交叉口", "X 建设路 优越路", "noisy"),
    ("开源路与湛河路交叉口往南50米有个坑", "X 开源路 湛河路 S50", "noisy"),
    ("南环路和开源路交汇处西北角", "X 开源路 南环路 NW", "noisy"),
    ("凌云路与新建路交叉口", "X 凌云路 新建路", "plain"),
    ("胜利街新建路口", "X 胜利街 新建路", "plain"),
    ("红旗街与光明路交叉口附近", "X 红旗街 光明路", "plain"),
    ("建设路与体育路交叉口", "X 建设路 体育路", "plain"),
    ("长青路与体育路交叉口", "X 长青路 体育路", "plain"),
    ("矿工路与体育路交叉口", "X 矿工路 体育路", "plain"),
    ("劳动路与南环路交叉口", "X 劳动路 南环路", "plain"),
    ("东环路与南环路交叉口", "X 东环路 南环路", "plain"),
    ("湛北路与皇台路交叉口", "X 湛北路 皇台路", "plain"),
    ("联盟路与五一路交叉口", "X 联盟路 五一路", "plain"),
    ("育英路与神马大道交叉口", "X 育英路 神马大道", "plain"),
    ("许南路与湛河路交叉口", "X 许南路 湛河路", "plain"),
    ("新建路一百二十号", "A 新建路 120", "noisy"),
    ("新建路第88号", "A 新建路 88", "noisy"),
    ("开源路 401 号", "A 开源路 401", "noisy"),
    ("矿工路５００号院", "A 矿工路 500", "noisy"),
    ("平顶山市新华区光明路街道长青社区", "M 410402002005", "plain"),
    ("河南省平顶山市宝丰县城关镇", "T 410421100", "plain"),
    ("河南省平顶山市叶县保安镇陈岗村", "M 410422102204", "plain"),
    ("俺是鲁山县尧山镇的，俺村路不通", "T 410423105", "complaint"),
    ("汝州市 温泉镇 朱寨村 饮水问题", "M 410482102202", "noisy"),
    ("郏县茨芭镇陈家寨村村口的桥断了", "M 410425106202", "complaint"),
    ("舞鋼市尚店鎮尚东村", "M 410481100201", "traditional"),
    ("市一院急诊楼后面", "P 平顶山市第一人民医院", "noisy"),
    ("平顶山市第一人民医院住院部", "P 平顶山市第一人民医院", "plain"),
    ("到鹰城广场东边", "P 鹰城广场", "noisy"),
    ("锦华新城3栋2单元", "P 锦华新城", "plain"),
    ("凯旋嘉园小区5号楼", "P 凯旋嘉园", "plain"),
    ("长青小区十九号楼", "P 长青小区", "noisy"),
    ("颐和新城南门", "P 颐和新城", "plain"),
    ("平頂山學院", "P 平顶山学院", "traditional"),
    ("河南城建學院北門", "P 河南城建学院", "traditional"),
    # --- crossings in the county seats, county named or not --------------------
    ("宝丰县中兴路与文化路交叉口", "X 中兴路 文化路 410421", "plain"),
    ("寶豐縣中興路和前進路交叉口", "X 中兴路 前进路 410421", "traditional"),
    ("宝丰中兴路前进路口有人摆摊", "X 中兴路 前进路 410421", "complaint"),
    ("叶县昆阳大道与人民路交叉口", "X 昆阳大道 人民路 410422", "plain"),
    ("昆阳大道与九龙路交叉口", "X 昆阳大道 九龙路", "plain"),
    ("葉縣昆陽大道與鹽都路交叉口", "X 昆阳大道 盐都路", "traditional"),
    ("鲁山县人民路与鲁阳大道交叉口", "X 人民路 鲁阳大道 410423", "plain"),
    ("鲁阳大道与琴台路交叉口东北角", "X 鲁阳大道 琴台路 NE", "plain"),
    ("鲁山人民路跟露峰路交叉口下水道堵了", "X 人民路 露峰路 410423", "complaint"),
    ("郏县龙山大道与文化路交叉口", "X 龙山大道 文化路 410425", "plain"),
    ("龙山大道与广阳路交叉口", "X 龙山大道 广阳路", "plain"),
    ("郟縣文化路與東城路交叉口", "X 文化路 东城路 410425", "traditional"),
    ("舞钢市建设路与垭口大道交叉口", "X 建设路 垭口大道 410481", "plain"),
    ("舞钢建设路寺坡路口", "X 建设路 寺坡路 410481", "plain"),
    ("垭口大道与院岭路交叉口", "X 垭口大道 院岭路", "plain"),
    ("汝州市丹阳路与广成路交叉口", "X 丹阳路 广成路", "plain"),
    ("汝州风穴路与丹阳路交叉口东南角", "X 风穴路 丹阳路 SE", "plain"),
    ("汝州市向阳路和望嵩路交叉口", "X 向阳路 望嵩路", "plain"),
    ("石龙区人民路与龙兴路交叉口", "X 人民路 龙兴路 410404", "plain"),
    ("石龙区龙兴路与高庄路交叉口", "X 龙兴路 高庄路", "plain"),
    # --- house numbers ---------------------------------------------------------
    ("新建路88号", "A 新建路 88", "plain"),
    ("新建路八十八号楼道灯坏了", "A 新建路 88", "noisy"),
    ("新建路１２０号", "A 新建路 120", "noisy"),
    ("新华区建设路235号", "A 建设路 235 410402", "plain"),
    ("卫东区建设路600号门口下水道反味", "A 建设路 600 410403", "complaint"),
    ("衛東區建設路1002號", "A 建设路 1002 410403", "traditional"),
    ("新华区中兴路150号", "A 中兴路 150 410402", "plain"),
    ("湛河区中兴路三十一号", "A 中兴路 31 410411", "noisy"),
    ("矿工路500号院", "A 矿工路 500", "plain"),
    ("矿工路89号附近有人私搭乱建", "A 矿工路 89", "complaint"),
    ("开源路401号", "A 开源路 401", "plain"),
    ("开源路77号", "A 开源路 77", "plain"),
    ("光明路200号", "A 光明路 200", "plain"),
    ("新华路333号", "A 新华路 333", "plain"),
    ("长青路100号", "A 长青路 100", "plain"),
    ("湛河路520号", "A 湛河路 520", "plain"),
    ("南环路66号旁边的店铺占道", "A 南环路 66", "complaint"),
    ("凌云路12号", "A 凌云路 12", "plain"),
    ("东环路300号", "A 东环路 300", "plain"),
    ("神马大道700号", "A 神马大道 700", "plain"),
    ("平安大道518号", "A 平安大道 518", "plain"),
    ("长安大道101号", "A 长安大道 101", "plain"),
    ("宝丰县中兴路100号", "A 中兴路 100 410421", "plain"),
    ("鲁山县人民路300号", "A 人民路 300 410423", "plain"),
    ("叶县人民路58号", "A 人民路 58 410422", "plain"),
    ("石龙区人民路120号", "A 人民路 120 410404", "plain"),
    ("汝州市丹阳路208号", "A 丹阳路 208", "plain"),
    ("汝州广成路99号", "A 广成路 99", "plain"),
    ("舞钢市建设路250号", "A 建设路 250 410481", "plain"),
    ("郏县龙山大道160号", "A 龙山大道 160", "plain"),
    ("叶县昆阳大道400号", "A 昆阳大道 400", "plain"),
    ("鲁阳大道321号", "A 鲁阳大道 321", "plain"),
    ("北环路40号", "A 北环路 40", "plain"),
    ("许南路200号", "A 许南路 200", "plain"),
    # --- places ----------------------------------------------------------------
    ("市一院门口乱停车", "P 平顶山市第一人民医院", "complaint"),
    ("平顶山市第二人民医院", "P 平顶山市第二人民医院", "plain"),
    ("平煤总医院对面的路灯坏了", "P 平煤神马医疗集团总医院", "complaint"),
    ("市中医院附近噪音大", "P 平顶山市中医医院", "complaint"),
    ("平顶山学院南门外垃圾成堆", "P 平顶山学院", "complaint"),
    ("城建学院旁边的小吃街油烟扰民", "P 河南城建学院", "complaint"),
    ("市一高门口接送孩子的车太多", "P 平顶山市第一高级中学", "complaint"),
    ("平顶山火车站出站口黑车拉客", "P 平顶山站", "complaint"),
    ("汽车站附近有人卖假票", "P 平顶山汽车站", "complaint"),
    ("湛河公园里的健身器材坏了", "P 湛河公园", "complaint"),
    ("河濱公園", "P 河滨公园", "traditional"),
    ("白龟湖边上有人野泳很危险", "P 白龟湖湿地公园", "complaint"),
    ("鹰城广场晚上广场舞声音太大", "P 鹰城广场", "complaint"),
    ("万达广场地下车库收费不合理", "P 平顶山万达广场", "complaint"),
    ("新华书店门口共享单车堆成山", "P 新华书店", "complaint"),
    ("长青农贸市场里面污水横流", "P 长青农贸市场", "complaint"),
    ("长青小区3号楼2单元楼道堆满杂物", "P 长青小区", "complaint"),
    ("热力公司家属院暖气不热", "P 热力公司家属院", "complaint"),
    ("二矿家属院的路灯不亮", "P 矿务局二矿家属院", "complaint"),
    ("市政府门口有人拉横幅", "P 平顶山市人民政府", "complaint"),
    ("平顶山博物馆", "P 平顶山博物馆", "plain"),
    ("市图书馆空调太冷", "P 平顶山市图书馆", "complaint"),
    ("人民公园", "P 人民公园", "plain"),
    ("新华公园里有人遛狗不拴绳", "P 新华公园", "complaint"),
    ("火车西站", "P 平顶山火车西站", "plain"),
    ("丹尼斯百货门口", "P 丹尼斯百货", "plain"),
    ("鹰城世贸广场停车难", "P 鹰城世贸广场", "complaint"),
    ("市体育馆", "P 平顶山市体育馆", "plain"),
    ("光明路小学门口有流动摊贩", "P 光明路小学", "complaint"),
    ("曙光街小学放学时段拥堵", "P 曙光街小学", "complaint"),
    ("中兴路农贸市场", "P 中兴路农贸市场", "plain"),
    ("矿工路社区卫生服务中心排队太久", "P 矿工路社区卫生服务中心", "complaint"),
    ("东安路菜市场", "P 东安路农贸市场", "plain"),
    ("优越路小学", "P 优越路小学", "plain"),
    ("五一路农贸市场卫生差", "P 五一路农贸市场", "complaint"),
    ("建设路街道党群服务中心", "P 建设路街道党群服务中心", "plain"),
    ("东环路小学", "P 东环路小学", "plain"),
    ("光华路农贸市场", "P 光华路农贸市场", "plain"),
    ("鸿鹰小学门口", "P 鸿鹰小学", "plain"),
    ("申楼农贸市场", "P 申楼农贸市场", "plain"),
    ("北环路小学", "P 北环路小学", "plain"),
    ("东高皇小学", "P 东高皇小学", "plain"),
    ("蒲城农贸市场", "P 蒲城农贸市场", "plain"),
    ("南环路小学", "P 南环路小学", "plain"),
    ("姚孟农贸市场", "P 姚孟农贸市场", "plain"),
    ("九里山小学", "P 九里山小学", "plain"),
    ("轻工路社区卫生服务中心", "P 轻工路社区卫生服务中心", "plain"),
    ("高阳路小学", "P 高阳路小学", "plain"),
    ("北渡农贸市场", "P 北渡农贸市场", "plain"),
    ("荆山小学", "P 荆山小学", "plain"),
    ("河滨街道党群服务中心", "P 河滨街道党群服务中心", "plain"),
    ("曹镇乡卫生院", "P 曹镇乡卫生院", "plain"),
    ("焦店镇人民政府", "P 焦店镇人民政府", "plain"),
    ("新新街小学", "P 新新街小学", "plain"),
    ("西市场农贸市场", "P 西市场农贸市场", "plain"),
    ("青石山小学", "P 青石山小学", "plain"),
    ("湛河北路小学", "P 湛河北路小学", "plain"),
    ("西高皇农贸市场", "P 西高皇农贸市场", "plain"),
    ("皇台街道党群服务中心", "P 皇台街道党群服务中心", "plain"),
    ("遵化店镇卫生院", "P 遵化店镇卫生院", "plain"),
    ("湖滨路小学", "P 湖滨路小学", "plain"),
    ("滍阳镇中学", "P 滍阳镇中学", "plain"),
    ("宝丰县城关镇卫生院", "P 城关镇卫生院", "plain"),
    ("周庄镇政府", "P 周庄镇人民政府", "plain"),
    ("闹店镇中心小学", "P 闹店镇中心小学", "plain"),
    ("商酒务镇卫生院", "P 商酒务镇卫生院", "plain"),
    ("大营镇中学", "P 大营镇中学", "plain"),
    ("张八桥集贸市场", "P 张八桥集贸市场", "plain"),
    ("赵庄镇人民政府", "P 赵庄镇人民政府", "plain"),
    ("宝丰县杨庄集贸市场", "P 杨庄集贸市场 410421", "plain"),
    ("舞钢市杨庄集贸市场", "P 杨庄集贸市场 410481", "plain"),
    ("铁路小学", "P 铁路小学", "plain"),
    ("叶县任店镇卫生院", "P 任店镇卫生院", "plain"),
    ("保安镇人民政府", "P 保安镇人民政府", "plain"),
    ("仙台镇中心小学", "P 仙台镇中心小学", "plain"),
    ("廉村集贸市场", "P 廉村集贸市场", "plain"),
    ("龚店镇卫生院", "P 龚店镇卫生院", "plain"),
    ("马庄乡卫生院", "P 马庄乡卫生院", "plain"),
    ("水寨乡政府", "P 水寨乡人民政府", "plain"),
    ("昆阳小学", "P 昆阳小学", "plain"),
    ("九龙农贸市场", "P 九龙农贸市场", "plain"),
    ("露峰小学", "P 露峰小学", "plain"),
    ("鲁阳农贸市场", "P 鲁阳农贸市场", "plain"),
    ("下汤镇卫生院门口", "P 下汤镇卫生院", "plain"),
    ("尧山镇人民政府", "P 尧山镇人民政府", "plain"),
    ("四棵树乡中学", "P 四棵树乡中学", "plain"),
    ("观音寺集贸市场", "P 观音寺集贸市场", "plain"),
    ("滚子营乡卫生院", "P 滚子营乡卫生院", "plain"),
    ("龙山小学", "P 龙山小学", "plain"),
    ("冢头镇卫生院", "P 冢头镇卫生院", "plain"),
    ("茨芭镇中心小学", "P 茨芭镇中心小学", "plain"),
    ("广阔天地乡人民政府", "P 广阔天地乡人民政府", "plain"),
    ("姚庄乡中学", "P 姚庄乡中学", "plain"),
    ("垭口农贸市场", "P 垭口农贸市场", "plain"),
    ("朱兰小学", "P 朱兰小学", "plain"),
    ("尚店镇卫生院", "P 尚店镇卫生院", "plain"),
    ("八台镇人民政府", "P 八台镇人民政府", "plain"),
    ("武功乡中学", "P 武功乡中学", "plain"),
    ("煤山小学", "P 煤山小学", "plain"),
    ("风穴路农贸市场", "P 风穴路农贸市场", "plain"),
    ("钟楼街道党群服务中心", "P 钟楼街道党群服务中心", "plain"),
    ("温泉镇卫生院", "P 温泉镇卫生院", "plain"),
    ("临汝镇中学", "P 临汝镇中学", "plain"),
    ("蟒川镇人民政府", "P 蟒川镇人民政府", "plain"),
    ("骑岭乡卫生院", "P 骑岭乡卫生院", "plain"),
    ("高庄小学", "P 高庄小学", "plain"),
    ("龙河农贸市场", "P 龙河农贸市场", "plain"),
    ("凯旋嘉园小区门口垃圾桶满了", "P 凯旋嘉园", "complaint"),
    ("颐和新城物业不作为", "P 颐和新城", "complaint"),
    ("星河家园地下室进水", "P 星河家园", "complaint"),
    ("玉兰小区", "P 玉兰小区", "plain"),
    ("观澜名都楼下烧烤", "P 观澜名都", "complaint"),
    ("紫金雅苑", "P 紫金雅苑", "plain"),
    ("泰和苑停水了", "P 泰和苑", "complaint"),
    ("御景家园", "P 御景家园", "plain"),
    ("锦华新城电梯坏了", "P 锦华新城", "complaint"),
    ("银河苑", "P 银河苑", "plain"),
    ("雅居嘉园", "P 雅居嘉园", "plain"),
    ("玉兰华庭", "P 玉兰华庭", "plain"),
    ("正商小区", "P 正商小区", "plain"),
    ("尚城名郡", "P 尚城名郡", "plain"),
    ("锦华公馆", "P 锦华公馆", "plain"),
    ("建业雅苑小区", "P 建业雅苑", "plain"),
    ("君悦新城", "P 君悦新城", "plain"),
    ("昌盛雅苑", "P 昌盛雅苑", "plain"),
    ("东方名都", "P 东方名都", "plain"),
    ("碧水名郡", "P 碧水名郡", "plain"),
    ("金沙嘉园", "P 金沙嘉园", "plain"),
    ("东方小区", "P 东方小区", "plain"),
    ("汇金嘉园", "P 汇金嘉园", "plain"),
    ("恒泰嘉园", "P 恒泰嘉园", "plain"),
    ("新田小区", "P 新田小区", "plain"),
    ("君悦府", "P 君悦府", "plain"),
    ("香榭公馆", "P 香榭公馆", "plain"),
    ("凯旋嘉园旁边", "P 凯旋嘉园", "plain"),
    ("颐和新城東側", "P 颐和新城", "traditional"),
    ("鷹城廣場附近", "P 鹰城广场", "traditional"),
    ("平頂山市第一人民醫院急診", "P 平顶山市第一人民医院", "traditional"),
    ("市二院往北200米", "P 平顶山市第二人民医院 N200", "noisy"),
    ("万达广场东边有人发小广告", "P 平顶山万达广场", "complaint"),
    ("湛河公园对面", "P 湛河公园", "plain"),
    ("市一院", "P 平顶山市第一人民医院", "plain"),
    ("平煤神马总医院", "P 平煤神马医疗集团总医院", "plain"),
    # --- townships and communities named -----------------------------------------
    ("宝丰县城关镇", "T 410421100", "partial"),
    ("叶县保安镇", "T 410422102", "partial"),
    ("叶县马庄回族乡", "T 410422203", "partial"),
    ("叶县马庄乡有人焚烧秸秆", "T 410422203", "complaint"),
    ("湛河区马庄街道", "T 410411001", "partial"),
    ("舞钢市杨庄乡", "T 410481205", "partial"),
    ("宝丰杨庄镇", "T 410421107", "partial"),
    ("鲁山县下汤镇", "T 410423101", "partial"),
    ("鲁山下汤这边温泉宾馆乱收费", "T 410423101", "complaint"),
    ("汝州市温泉镇", "T 410482102", "partial"),
    ("郏县茨芭镇", "T 410425106", "partial"),
    ("舞钢市尚店镇", "T 410481100", "partial"),
    ("石龙区高庄街道", "T 410404001", "partial"),
    ("湛河区曹镇乡", "T 410411200", "partial"),
    ("高新区遵化店镇", "T 410471100", "partial"),
    ("示范区滍阳镇", "T 410472101", "partial"),
    ("新华区焦店镇", "T 410402100", "partial"),
    ("香山管委会", "T 410402400", "partial"),
    ("滨湖管委会辖区", "T 410472401", "partial"),
    ("应滨管委会", "T 410472402", "partial"),
    ("卫东区东高皇街道", "T 410403011", "partial"),
    ("蒲城街道办事处", "T 410403012", "partial"),
    ("光明路街道", "T 410402002", "partial"),
    ("光明路街道辦事處", "T 410402002", "traditional"),
    ("中兴路街道办事处不作为", "T 410402003", "complaint"),
    ("矿工路街道", "T 410402004", "partial"),
    ("西市场街道", "T 410402005", "partial"),
    ("新新街街道", "T 410402006", "partial"),
    ("青石山街道", "T 410402007", "partial"),
    ("湛河北路街道", "T 410402008", "partial"),
    ("西高皇街道", "T 410402010", "partial"),
    ("曙光街街道", "T 410402001", "partial"),
    ("东安路街道", "T 410403001", "partial"),
    ("优越路街道", "T 410403002", "partial"),
    ("五一路街道", "T 410403003", "partial"),
    ("卫东区建设路街道", "T 410403004", "partial"),
    ("东环路街道", "T 410403005", "partial"),
    ("东工人镇街道", "T 410403006", "partial"),
    ("光华路街道", "T 410403007", "partial"),
    ("鸿鹰街道", "T 410403008", "partial"),
    ("申楼街道", "T 410403009", "partial"),
    ("北环路街道", "T 410403010", "partial"),
    ("南环路街道", "T 410411002", "partial"),
    ("姚孟街道", "T 410411003", "partial"),
    ("九里山街道", "T 410411004", "partial"),
    ("轻工路街道", "T 410411005", "partial"),
    ("高阳路街道", "T 410411006", "partial"),
    ("北渡街道", "T 410411007", "partial"),
    ("荆山街道", "T 410411008", "partial"),
    ("河滨街道", "T 410411009", "partial"),
    ("皇台街道", "T 410471001", "partial"),
    ("湖滨路街道", "T 410472001", "partial"),
    ("龙兴街道", "T 410404002", "partial"),
    ("人民路街道", "T 410404003", "partial"),
    ("龙河街道", "T 410404004", "partial"),
    ("宝丰县铁路街道", "T 410421001", "partial"),
    ("周庄镇", "T 410421101", "partial"),
    ("闹店镇", "T 410421102", "partial"),
    ("宝丰石桥镇", "T 410421103", "partial"),
    ("商酒务镇", "T 410421104", "partial"),
    ("宝丰大营镇", "T 410421105", "partial"),
    ("张八桥镇", "T 410421106", "partial"),
    ("赵庄镇", "T 410421108", "partial"),
    ("肖旗乡", "T 410421200", "partial"),
    ("前营乡", "T 410421202", "partial"),
    ("宝丰县李庄乡", "T 410421203", "partial"),
    ("叶县九龙街道", "T 410422001", "partial"),
    ("昆阳街道", "T 410422002", "partial"),
    ("盐都街道", "T 410422003", "partial"),
    ("任店镇", "T 410422101", "partial"),
    ("叶县仙台镇", "T 410422103", "partial"),
    ("叶邑镇", "T 410422105", "partial"),
    ("廉村镇", "T 410422106", "partial"),
    ("常村镇", "T 410422107", "partial"),
    ("辛店镇", "T 410422108", "partial"),
    ("洪庄杨镇", "T 410422109", "partial"),
    ("龚店镇", "T 410422110", "partial"),
    ("夏李乡", "T 410422201", "partial"),
    ("田庄乡", "T 410422204", "partial"),
    ("叶县龙泉乡", "T 410422207", "partial"),
    ("水寨乡", "T 410422208", "partial"),
    ("邓李乡", "T 410422210", "partial"),
    ("露峰街道", "T 410423001", "partial"),
    ("琴台街道", "T 410423002", "partial"),
    ("鲁阳街道", "T 410423003", "partial"),
    ("鲁山县汇源街道", "T 410423004", "partial"),
    ("梁洼镇", "T 410423102", "partial"),
    ("张官营镇", "T 410423103", "partial"),
    ("鲁山县张良镇", "T 410423104", "partial"),
    ("尧山镇", "T 410423105", "partial"),
    ("瓦屋镇", "T 410423106", "partial"),
    ("赵村镇", "T 410423107", "partial"),
    ("四棵树乡", "T 410423201", "partial"),
    ("团城乡", "T 410423202", "partial"),
    ("熊背乡", "T 410423203", "partial"),
    ("让河乡", "T 410423204", "partial"),
    ("观音寺乡", "T 410423206", "partial"),
    ("昭平台库区乡", "T 410423207", "partial"),
    ("背孜乡", "T 410423208", "partial"),
    ("仓头乡", "T 410423209", "partial"),
    ("董周乡", "T 410423210", "partial"),
    ("张店乡", "T 410423211", "partial"),
    ("辛集乡", "T 410423212", "partial"),
    ("滚子营乡", "T 410423213", "partial"),
    ("马楼乡", "T 410423214", "partial"),
    ("郏县龙山街道", "T 410425001", "partial"),
    ("郏县东城街道", "T 410425002", "partial"),
    ("冢头镇", "T 410425101", "partial"),
    ("安良镇", "T 410425102", "partial"),
    ("堂街镇", "T 410425103", "partial"),
    ("薛店镇", "T 410425104", "partial"),
    ("郏县长桥镇", "T 410425105", "partial"),
    ("郏县黄道镇", "T 410425107", "partial"),
    ("李口镇", "T 410425108", "partial"),
    ("王集乡", "T 410425200", "partial"),
    ("郏县姚庄回族乡", "T 410425202", "partial"),
    ("白庙乡", "T 410425203", "partial"),
    ("广阔天地乡", "T 410425204", "partial"),
    ("渣元乡", "T 410425205", "partial"),
    ("舞钢市垭口街道", "T 410481001", "partial"),
    ("寺坡街道", "T 410481002", "partial"),
    ("朱兰街道", "T 410481003", "partial"),
    ("院岭街道", "T 410481004", "partial"),
    ("矿建街道", "T 410481005", "partial"),
    ("舞钢铁山街道", "T 410481006", "partial"),
    ("舞钢市红山街道", "T 410481007", "partial"),
    ("八台镇", "T 410481101", "partial"),
    ("尹集镇", "T 410481102", "partial"),
    ("枣林镇", "T 410481103", "partial"),
    ("庙街乡", "T 410481202", "partial"),
    ("舞钢武功乡", "T 410481204", "partial"),
    ("汝州市煤山街道", "T 410482001", "partial"),
    ("风穴路街道", "T 410482002", "partial"),
    ("汝州钟楼街道", "T 410482003", "partial"),
    ("洗耳河街道", "T 410482004", "partial"),
    ("汝州市汝南街道", "T 410482005", "partial"),
    ("紫云路街道", "T 410482006", "partial"),
    ("寄料镇", "T 410482101", "partial"),
    ("临汝镇", "T 410482103", "partial"),
    ("小屯镇", "T 410482104", "partial"),
    ("杨楼镇", "T 410482105", "partial"),
    ("蟒川镇", "T 410482106", "partial"),
    ("庙下镇", "T 410482107", "partial"),
    ("米庙镇", "T 410482108", "partial"),
    ("陵头镇", "T 410482109", "partial"),
    ("纸坊镇", "T 410482110", "partial"),
    ("大峪镇", "T 410482111", "partial"),
    ("夏店镇", "T 410482112", "partial"),
    ("焦村镇", "T 410482113", "partial"),
    ("王寨乡", "T 410482202", "partial"),
    ("骑岭乡", "T 410482207", "partial"),
    ("汝州市騎嶺鄉", "T 410482207", "traditional"),
    ("魯山縣觀音寺鄉", "T 410423206", "traditional"),
    ("郟縣廣闊天地鄉", "T 410425204", "traditional"),
    ("舞鋼市棗林鎮", "T 410481103", "traditional"),
    ("葉縣洪莊楊鎮", "T 410422109", "traditional"),
    ("宝丰县商酒务镇有人非法采砂", "T 410421104", "complaint"),
    ("我是叶县辛店镇的，村里的路被大车压坏了", "T 410422108", "complaint"),
    ("鲁山县瓦屋镇山上有人砍树", "T 410423106", "complaint"),
    ("郏县薛店镇养猪场臭气熏天", "T 410425104", "complaint"),
    ("汝州市蟒川镇饮水困难", "T 410482106", "complaint"),
    ("舞钢市八台镇的小学校车超载", "T 410481101", "complaint"),
    ("石龙区龙河街道办事处", "T 410404004", "partial"),
    ("  湛河区   荆山街道  ", "T 410411008", "noisy"),
    ("【投诉】卫东区光华路街道：夜市占道", "T 410403007", "noisy"),
    ("光明路街道长青社区", "M 410402002005", "partial"),
    ("长青社区", "M 410402002005", "partial"),
    ("長青社區的網格員很負責", "M 410402002005", "traditional"),
    ("光明路街道新程街社区楼道灯不亮", "M 410402002003", "complaint"),
    ("光明路街道迎宾社区", "M 410402002001", "partial"),
    ("曙光街街道曙北社区", "M 410402001001", "partial"),
    ("中兴路街道文化宫社区", "M 410402003002", "partial"),
    ("矿工路街道幸福街社区", "M 410402004001", "partial"),
    ("西市场街道团结路社区", "M 410402005001", "partial"),
    ("东安路街道东苑社区", "M 410403001001", "partial"),
    ("五一路街道康复街社区", "M 410403003002", "partial"),
    ("东环路街道月台河社区", "M 410403005001", "partial"),
    ("南环路街道车站社区", "M 410411002004", "partial"),
    ("姚孟街道姚电社区", "M 410411003001", "partial"),
    ("宝丰县城关镇东中社区", "M 410421100001", "partial"),
    ("宝丰县周庄镇马其营村", "M 410421101202", "partial"),
    ("叶县保安镇陈岗村", "M 410422102204", "partial"),
    ("叶县廉村镇姚王村的路灯坏了", "M 410422106202", "complaint"),
    ("鲁山县下汤镇乱石盘村", "M 410423101202", "partial"),
    ("鲁山县尧山镇霍庄村", "M 410423105202", "partial"),
    ("郏县冢头镇前王庄村", "M 410425101205", "partial"),
    ("郏县茨芭镇陈家寨村", "M 410425106202", "partial"),
    ("舞钢市尚店镇尚东村", "M 410481100201", "partial"),
    ("汝州市温泉镇朱寨村", "M 410482102202", "partial"),
    ("汝州市寄料镇牛沟村", "M 410482101203", "partial"),
    ("石龙区高庄街道龙源社区", "M 410404001001", "partial"),
    ("高新区遵化店镇周湾村", "M 410471100203", "partial"),
    ("示范区滍阳镇西王营村", "M 410472101201", "partial"),
    ("湛河区曹镇乡曹北村", "M 410411200201", "partial"),
    ("新华区焦店镇东果店村", "M 410402100205", "partial"),
    ("叶县马庄回族乡大陈庄村", "M 410422203205", "partial"),
    # the committees' official names and their abbreviations (居委会 / 村委会)
    ("新华区光明路街道长青社区居民委员会", "M 410402002005", "plain"),
    ("长青社区居委会门口的垃圾好几天没人清", "M 410402002005", "complaint"),
    ("鲁山县下汤镇乱石盘村村民委员会", "M 410423101202", "plain"),
    ("鲁山县下汤镇乱石盘村委会", "M 410423101202", "partial"),
    ("叶县保安镇陈岗村村委会旁边的路坏了", "M 410422102204", "complaint"),
    ("宝丰县城关镇东中社区居委会", "M 410421100001", "plain"),
    # --- a road alone, a county alone, the city alone -------------------------
    ("中兴路上井盖丢了", "R 中兴路", "road"),
    ("宝丰县中兴路", "R 中兴路 410421", "road"),
    ("新华区中兴路路面塌陷", "R 中兴路 410402", "road"),
    ("人民路", "R 人民路", "road"),
    ("叶县人民路", "R 人民路 410422", "road"),
    ("神马大道", "R 神马大道", "road"),
    ("许南路上大货车太多", "R 许南路", "road"),
    ("宝丰县", "C 410421", "county"),
    ("叶县有人偷倒垃圾", "C 410422", "county"),
    ("魯山縣", "C 410423", "county"),
    ("郏县", "C 410425", "county"),
    ("舞钢市", "C 410481", "county"),
    ("汝州", "C 410482", "county"),
    ("石龙区", "C 410404", "county"),
    ("新华区", "C 410402", "county"),
    ("卫东区", "C 410403", "county"),
    ("湛河区", "C 410411", "county"),
    ("高新区", "C 410471", "county"),
    ("示范区", "C 410472", "county"),
    ("平顶山市的公交车太挤了", "Y", "city"),
    ("鹰城", "Y", "city"),
    # --- no place at all ---------------------------------------------------------
    ("我想咨询一下医保报销的流程", "N", "none"),
    ("楼上邻居半夜装修太吵了", "N", "none"),
    ("快递三天了还没送到", "N", "none"),
    ("小区保安态度很差，骂人", "N", "none"),
    ("建议增加公交班次", "N", "none"),
    ("汇源果汁喝出异物怎么办", "N", "none"),
    ("孩子学校食堂饭菜太差", "N", "none"),
    ("路灯不亮了，晚上很黑", "N", "none"),
    ("垃圾好几天没人清理", "N", "none"),
    ("物业乱收费", "N", "none"),
    ("我家暖气不热", "N", "none"),
    ("水管爆了，赶紧派人", "N", "none"),
    ("停车位被别人占了", "N", "none"),
    ("工资被拖欠三个月了", "N", "none"),
    ("医院排队太久了", "N", "none"),
    ("马路上有个大坑", "N", "none"),
    ("东边那个路口红绿灯坏了", "N", "none"),
    ("温泉洗浴中心收费不合理", "N", "none"),
    ("铁路桥下积水严重", "N", "none"),
    ("希望我们的生活越来越幸福", "N", "none"),
    ("建设美好家园人人有责", "N", "none"),
    ("团结一心，共同抗疫", "N", "none"),
    ("新华社报道了这件事", "N", "none"),
    ("和平年代也要有忧患意识", "N", "none"),
    ("前进的道路是曲折的", "N", "none"),
    ("钟楼上的钟不走了", "N", "none"),
    ("张良是汉初三杰之一", "N", "none"),
    ("今天是黄道吉日", "N", "none"),
    ("请问社保卡丢了怎么补办", "N", "none"),
    ("我要投诉一家饭店卫生不合格", "N", "none"),
    ("网上买的东西是假货", "N", "none"),
    ("狗叫扰民", "N", "none"),
    ("出租车司机绕路多收钱", "N", "none"),
    ("某小区门口停车乱", "N", "none"),
    ("市场上的菜价太贵了", "N", "none"),
    ("公园里的厕所太脏", "N", "none"),
    ("电动车充电难", "N", "none"),
    ("天然气费用怎么算的", "N", "none"),
    ("孩子上学难，学位不够", "N", "none"),
    ("我的养老金还没到账", "N", "none"),
    ("广场舞大妈太吵了", "N", "none"),
    ("12345热线怎么一直打不通", "N", "none"),
    ("谢谢你们，问题已经解决了", "N", "none"),
    ("你好", "N", "none"),
    ("？？？？", "N", "none"),
    ("hello, is anybody there?", "N", "none"),
    ("😡😡😡 太气人了", "N", "none"),
    ("1234567890", "N", "none"),
    ("我在北京市朝阳区建国路，想问个事", "N", "none"),
    ("郑州市金水区文化路有人占道", "N", "none"),
    ("洛阳市人民路的事你们管不管", "N", "none"),
    ("郑州市中原区建设路88号", "N", "none"),
    ("南阳的朋友说那边也这样", "N", "none"),
    ("许昌市东城区", "N", "none"),
    ("长江大桥", "N", "none"),
    ("光明的未来在前面", "N", "none"),
    ("河滨的风景很好看", "N", "none"),
    ("保安大叔人很好", "N", "none"),
    ("朝阳的光照进来", "N", "none"),
    ("我家小孩在实验小学上学，校门口太乱", "N", "none"),
]


def metric_move(lon: float, lat: float, dx: float, dy: float) -> tuple[float, float]:
    x, y = METRIC.transform(lon, lat)
    return GEOGRAPHIC.transform(x + dx, y + dy)


class World:
    def __init__(self):
        def fc(name):
            return json.loads((FIX / name).read_text(encoding="utf-8"))["features"]

        self.communities = [(f["properties"], shape(f["geometry"])) for f in fc("communities.geojson")]
        self.tree = shapely.STRtree([g for _, g in self.communities])
        self.townships = {f["properties"]["code"]: f["properties"] for f in fc("townships.geojson")}
        self.roads = [(f["properties"], shape(f["geometry"])) for f in fc("roads.geojson")]
        self.places = [(f["properties"], shape(f["geometry"])) for f in fc("places.geojson")]
        self.ranges = [(f["properties"], shape(f["geometry"])) for f in fc("addresses.geojson")]

    def township_at(self, lon: float, lat: float) -> str:
        hits = self.tree.query(Point(lon, lat), predicate="intersects")
        if not len(hits):
            raise SystemExit(f"({lon}, {lat}) is in no community")
        return self.communities[int(min(hits))][0]["parent_code"]

    def road(self, name: str, county: str | None):
        found = [(p, g) for p, g in self.roads if p["name"] == name and (county is None or county in p["county_codes"])]
        if len(found) != 1:
            raise SystemExit(f"road {name} in {county}: {len(found)} roads")
        return found[0]

    def resolve(self, ref: str) -> tuple[str, str, str]:
        """(township code or '', county code or '', precision) of a reference."""
        kind, *args = ref.split()
        mods = [a for a in args if a[:2] in DIRS or a[:1] in DIRS]
        counties = [a for a in args if a.isdigit() and len(a) == 6]
        county = counties[0] if counties else None
        words = [a for a in args if a not in mods and a not in counties]
        if kind == "X":
            # the one crossing of any two roads of these names (in the county, if named)
            hits = [
                ga.intersection(gb)
                for pa, ga in self.roads
                for pb, gb in self.roads
                if pa["name"] == words[0]
                and pb["name"] == words[1]
                and (county is None or (county in pa["county_codes"] and county in pb["county_codes"]))
                and ga.intersects(gb)
            ]
            if len(hits) != 1 or hits[0].geom_type != "Point":
                raise SystemExit(f"{ref}: {len(hits)} crossings")
            lon, lat, precision = hits[0].x, hits[0].y, "intersection"
        elif kind == "A":
            p, _ = self.road(words[0], county)
            number = int(words[1])
            parity = "odd" if number % 2 else "even"
            (r, line), *_ = [(r, g) for r, g in self.ranges if r["road_code"] == p["code"] and r["parity"] == parity]
            if not r["first"] <= number <= r["last"]:
                raise SystemExit(f"{ref}: number outside {r['first']}..{r['last']}")
            m = shapely.transform(line, lambda xy: np.column_stack(METRIC.transform(xy[:, 0], xy[:, 1])))
            pt = m.interpolate((number - r["first"]) / (r["last"] - r["first"]), normalized=True)
            lon, lat = GEOGRAPHIC.transform(pt.x, pt.y)
            precision = "address"
        elif kind == "P":
            found = [
                (p, g)
                for p, g in self.places
                if (p["name"] == words[0] or words[0] in p["aliases"])
                and (county is None or p["county_code"] == county)
            ]
            if len(found) != 1:
                raise SystemExit(f"{ref}: {len(found)} places")
            lon, lat, precision = found[0][1].x, found[0][1].y, "place"
        elif kind == "T":
            return words[0], words[0][:6], "township"
        elif kind == "M":
            found = [p for p, _ in self.communities if p["code"] == words[0]]
            if len(found) != 1:
                raise SystemExit(f"{ref}: {len(found)} communities")
            return found[0]["parent_code"], words[0][:6], "community"
        elif kind == "R":
            return "", county or "", "road"
        elif kind == "C":
            return "", county or "", "county"
        elif kind == "Y":
            return "", "", "city"
        else:
            return "", "", "none"
        for mod in mods:
            direction = mod.rstrip("0123456789")
            meters = float(mod[len(direction) :] or 20)
            ux, uy = DIRS[direction]
            norm = (ux * ux + uy * uy) ** 0.5
            lon, lat = metric_move(lon, lat, ux / norm * meters, uy / norm * meters)
        township = self.township_at(lon, lat)
        return township, township[:6], precision


def main() -> int:
    world = World()
    rows = []
    seen = set()
    for text, ref, form in TEXTS:
        if text in seen:
            raise SystemExit(f"duplicate text {text}")
        seen.add(text)
        township, county, precision = world.resolve(ref)
        rows.append({"text": text, "township": township, "county": county, "precision": precision, "form": form})
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "township", "county", "precision", "form"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} texts written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
