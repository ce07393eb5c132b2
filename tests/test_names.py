"""Tests for geo.names, with cases quoted from the seed article's real noise."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import names
from geo.names import (
    drop_mojibake,
    name_keys,
    name_variants,
    normalize_name,
    normalize_text,
    project_parts,
    split_suffix,
    strip_pinyin,
    to_simplified,
    unify_width,
)

# --- strip_pinyin -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # quoted from the seed
        ("深圳市羅湖區(qū)人民政府", "深圳市羅湖區人民政府"),
        ("發(fā)布時間", "發布時間"),
        ("再創(chuàng)業(yè)", "再創業"),
        ("新興產(chǎn)業(yè)", "新興產業"),
        ("綠(lǜ)", "綠"),
        ("藍(lán)綠康樂", "藍綠康樂"),
        ("長嶺耕作口和邊境國際橋", "長嶺耕作口和邊境國際橋"),
        # tone-less, upper-case, tone digits, full-width parentheses
        ("區(qu)", "區"),
        ("區(QU)", "區"),
        ("區(QŪ)", "區"),
        ("發（fā）", "發"),
        ("發（FA）", "發"),
        ("區(qu1)", "區"),
        ("綠(lv4)", "綠"),
        # mojibake before a tone-marked annotation: the annotation still goes
        ("實崿F(xiàn)治", "實崿F治"),
    ],
)
def test_strip_pinyin_removes_annotations(raw: str, expected: str) -> None:
    assert strip_pinyin(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "深圳河(蓮塘段)碧道",  # seed
        "綜合開發研究院(中國·深圳)院長",  # seed (after pinyin removal)
        "新增5G-A基站(5G-A)",
        "接入Deepseek-R1 (671B)和R1 70B",
        "Deepseek-R1(671B)",
        "cb8065380cd79123de49077e510f268db3b780de(1).jpg",  # seed
        "人工智能(AI)",  # acronym that spells a pinyin syllable
        "B1地塊(A)",  # one-letter label
        "深圳(Shenzhen)",  # English, not one syllable
        "口岸(Port)",  # English word, not a pinyin syllable
        "Luohu (fa)",  # toneless after a space
        "Luohu(fa)",  # toneless after Latin text
    ],
)
def test_strip_pinyin_keeps_real_parentheses(kept: str) -> None:
    assert strip_pinyin(kept) == kept


def test_strip_pinyin_cleans_every_annotation_of_the_seed(seed_text: str) -> None:
    annotated = re.findall(r"\(([a-zàáèéìíòóùúāēīōūǎěǐǒǔǖǘǚǜü]+)\)", seed_text)
    assert len(annotated) > 300  # the seed really is that noisy
    cleaned = strip_pinyin(seed_text)
    assert re.findall(r"\(([^)]*)\)", cleaned) == ["1", "中國·深圳", "蓮塘段"]
    # every removal is an annotation (a few were glued to mojibake, one lost its parenthesis)
    assert len(seed_text) - len(cleaned) == sum(len(a) + 2 for a in annotated)


# --- mojibake -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("搶占制高點?!?月4日", "搶占制高點月4日"),
        ("推出“費改?!眲?chuàng)新應用", "推出“費改眲新應用"),
        ("現實路徑?!皬慕衲甑膮^(qū)政府", "現實路徑皬慕衲甑膮政府"),
        ("回歸中心城區(qū)?!编嵱顒抡f。", "回歸中心城區(qū)编嵱顒抡f。"),
        ("核心領域?qū)崿F(xiàn)治理", "核心領域崿治理"),
        ("專欄信息類別內容 ?返回", "專欄信息類別內容 返回"),
        ("替換\ufffd字符", "替換字符"),
    ],
)
def test_drop_mojibake_on_seed_fragments(raw: str, expected: str) -> None:
    assert drop_mojibake(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "2025羅湖如何“再創業”?",  # seed: a real question mark after a quote
        "可持續發展的新路?2025年",  # seed
        "重點是什么?民生領域",  # seed
        "Really?! yes",
        "R1 70B等模型",
    ],
)
def test_drop_mojibake_keeps_real_question_marks(kept: str) -> None:
    assert drop_mojibake(kept) == kept


def test_normalize_text_on_the_seed(seed_text: str) -> None:
    text = normalize_text(seed_text)
    assert text.startswith("深圳市罗湖区人民政府\n\n罗湖观察|向“新”谋“兴”,2025罗湖如何“再创业”?")
    for phrase in [
        "红岭金融总部发展轴+口岸经济发展带",
        "笋清科技创新组团",
        "蔡屋围-东门现代商贸组团",
        "完成莲塘口岸新增连廊及片区慢行系统建设",
        "推进文锦渡口岸生鲜货运功能转移",
        "轨道25号线经玉龙片区南延至文锦渡口岸",
        "深圳河(莲塘段)碧道",
        "综合开发研究院(中国·深圳)院长助理",
        "新增5G-A基站",
        "接入Deepseek-R1 671B和R1 70B",
        "推出“费改眲新应用场景",
        "制高点月4日",
        "内容 返回",
    ]:
        assert phrase in text, phrase
    assert "?!" not in text
    assert not re.search(r"\([a-zàáèéìíòóùúāēīōūǎěǐǒǔǖǘǚǜü]+\)", text)
    assert "區" not in text
    assert "發" not in text
    assert text.count("?") == 4  # the article's four real question marks
    assert "\n\n\n" not in text
    assert "  " not in text


def test_normalize_text_is_idempotent_on_the_seed(seed_text: str) -> None:
    once = normalize_text(seed_text)
    assert normalize_text(once) == once


# --- width, Simplified --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("（５Ｇ－Ａ）", "(5G-A)"),
        ("ＡＢＣ１２３，：；", "ABC123,:;"),
        ("好！真的？", "好!真的?"),
        ("什么？！？", "什么?"),  # a full-width run keeps its first mark
        ("蔡屋圍－東門", "蔡屋圍-東門"),
        ("蔡屋圍—東門", "蔡屋圍-東門"),
        ("蔡屋圍——東門", "蔡屋圍-東門"),
        ("1–2个", "1-2个"),
        ("a--b", "a--b"),
        ("中國・深圳", "中國·深圳"),
        ("中國‧深圳", "中國·深圳"),
        ("「蓮塘口岸」『心』", "“蓮塘口岸”‘心’"),
        ("句号。顿号、书名《报告》", "句号。顿号、书名《报告》"),
        ("a\u3000\u3000b\t c", "a b c"),
        ("零\u200b宽", "零宽"),
        ("  段一  \n\n\n\n 段二 ", "段一\n\n段二"),
        ("\u2f26\u2fa6", "子金"),  # Kangxi radicals from PDF extraction
        ("\uf9f4", "林"),  # CJK compatibility ideograph
    ],
)
def test_unify_width(raw: str, expected: str) -> None:
    assert unify_width(raw) == expected


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("羅湖區", "罗湖区"),
        ("蓮塘口岸", "莲塘口岸"),
        ("文錦渡口岸", "文锦渡口岸"),
        ("紅嶺金融總部發展軸", "红岭金融总部发展轴"),
        ("筍清科技創新組團", "笋清科技创新组团"),
        ("蔡屋圍", "蔡屋围"),
        ("瑪雅城", "玛雅城"),
        ("東曉片區", "东晓片区"),
        ("罗湖区", "罗湖区"),  # already Simplified
        ("Liantang Port 5G", "Liantang Port 5G"),
    ],
)
def test_to_simplified(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


def test_converter_is_a_lazy_singleton() -> None:
    to_simplified("羅")
    first = names._CONVERTER
    to_simplified("湖")
    assert first is not None
    assert names._CONVERTER is first


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Liantang Port", "liantangport"),
        ("LIANTANG  PORT", "liantangport"),
        ("Ｌｉａｎｔａｎｇ Ｐｏｒｔ", "liantangport"),
        ("Luohu Kou'an", "luohukouan"),
        ("Luohu Kou’an", "luohukouan"),
        ("luohu kouan", "luohukouan"),
        ("Lianhua", "lianhua"),
        ("Sha-Tau-Kok", "shataukok"),
        ("Heung Yuen Wai", "heungyuenwai"),
        ("蓮塘口岸", "莲塘口岸"),
        ("蓮(lián)塘口岸", "莲塘口岸"),
        ("蔡屋圍－東門", "蔡屋围-东门"),
        ("蔡屋圍 - 東門", "蔡屋围-东门"),
        ("“深南東1號”", "深南东1号"),
        ("深圳河(蓮塘段)", "深圳河莲塘段"),
        ("中國·深圳", "中国深圳"),
        ("政務+教育", "政务+教育"),
        ("，。", ""),
        ("區-·", "区"),  # a hyphen left at the end once punctuation is gone
    ],
)
def test_normalize_name(raw: str, key: str) -> None:
    assert normalize_name(raw) == key


@pytest.mark.parametrize(
    ("key", "stem", "group"),
    [
        ("罗湖站", "罗湖", "station"),
        ("罗湖地铁站", "罗湖", "station"),
        ("玉龙片区", "玉龙", "area"),
        ("罗湖区", "罗湖", "area"),
        ("莲塘街道", "莲塘", "subdistrict"),
        ("莲塘社区", "莲塘", "community"),
        ("luohustation", "luohu", "station"),
        ("莲塘口岸", "莲塘口岸", None),  # 口岸 is never stripped
        ("东站", "东站", None),  # stem too short
        ("社区", "社区", None),
        ("x片区", "x片区", None),
    ],
)
def test_split_suffix(key: str, stem: str, group: str | None) -> None:
    assert split_suffix(key) == (stem, group)


def test_name_variants_penalties() -> None:
    assert name_variants("羅湖地鐵站") == {"罗湖地铁站": 0, "罗湖站": 1, "罗湖": 2}
    assert name_variants("罗湖站") == {"罗湖站": 0, "罗湖地铁站": 1, "罗湖": 2}
    assert name_variants("玉龍片區") == {"玉龙片区": 0, "玉龙区": 1, "玉龙": 2}
    assert name_variants("Luohu Station") == {
        "luohustation": 0,
        "luohumetrostation": 1,
        "luohu": 2,
    }
    assert name_variants("莲塘") == {"莲塘": 0}
    assert name_variants("軌道25號線") == {
        "轨道25号线": 0,
        "25号线": 1,
        "地铁25号线": 1,
        "深圳地铁25号线": 1,
    }
    assert name_variants("地铁大厦") == {"地铁大厦": 0}
    assert name_variants("") == {}


def test_name_keys_share_stems_but_never_collapse_ports() -> None:
    assert "罗湖" in name_keys("罗湖站") & name_keys("罗湖地铁站")
    assert name_keys("莲塘口岸") == {"莲塘口岸"}
    assert name_keys("蓮塘口岸") == {"莲塘口岸"}
    assert name_keys("Liantang Port") == {"liantangport"}
    assert "莲塘" in name_keys("莲塘街道") & name_keys("莲塘站")
    assert not name_keys("莲塘口岸") & name_keys("莲塘站")


# --- properties ---------------------------------------------------------------------------

# Fragments of the seed's noise, full-width forms and name parts, glued at random.
_NOISE = st.lists(
    st.sampled_from(
        [
            *list("區發羅湖蓮塘口岸站地铁片区街道FA?!？！ \u3000（）-－—·・“”「」Zz0９\n'’^"),
            "(qū)",
            "(fā)",
            "?!",
            "（FA）",
            "(chuàng)",
            "chuàng)",
            "(AI)",
            "(5G-A)",
            "�",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_NOISE)
def test_normalize_text_is_idempotent_on_noise(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(_NOISE)
def test_normalize_name_is_idempotent_and_clean(raw: str) -> None:
    key = normalize_name(raw)
    assert normalize_name(key) == key
    assert not re.search(r"[\s()（）?!？！·'’]|^-|-$|--", key)
    assert key == key.lower()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("區(qū)（FA）", "区"),  # stacked annotations
        ("區?!（FA）", "区"),  # mojibake hid the annotation's Han character
        ("什么？！", "什么?"),  # a genuine full-width run is not mojibake
        ("？區", "区"),  # a question mark never opens a phrase
    ],
)
def test_normalize_text_regressions(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_dangling_annotation_is_dropped() -> None:
    assert drop_mojibake("區chuàng)新") == "區新"
    assert normalize_text("區?!chuàng)") == "区"
    assert drop_mojibake("Café) 區") == "Café) 區"  # not glued to a Han character


# --- project names (issue 12: a file names the road, the report the works on it) -----------


@pytest.mark.parametrize(
    ("name", "base", "extension", "works", "phase"),
    [
        ("罗沙路改扩建", "罗沙路", "", "改扩建", ""),
        ("清水河三路拓宽工程", "清水河三路", "", "拓宽", ""),
        ("東門路升級工程", "东门路", "", "升级", ""),
        ("11号线二期", "11号线", "", "", "二期"),
        ("翠竹路北延线", "翠竹路", "北延", "", ""),
        ("深南路东延", "深南路", "东延", "", ""),
        ("新秀立交", "新秀立交", "", "", ""),
        ("一期", "一期", "", "", ""),  # nothing would be left
        ("深港现代商贸业升级发展区", "深港现代商贸业升级发展区", "", "", ""),  # 升级 inside
    ],
)
def test_project_parts(name, base, extension, works, phase) -> None:
    parts = project_parts(name)
    assert (parts.base, parts.extension, parts.works, parts.phase) == (
        base,
        extension,
        works,
        phase,
    )


def test_project_words_give_the_road_but_extensions_never_do() -> None:
    assert name_variants("罗沙路改扩建")["罗沙路"] == 2
    assert name_variants("罗沙路改扩建工程")["罗沙路改扩建"] == 1
    assert "深南路" not in name_variants("深南路东延")  # an extension is not its road
    assert name_variants("翠竹路北延")["翠竹路北延线"] == 1
    assert name_variants("新秀立交")["新秀立交桥"] == 1
    assert "新秀" not in name_variants("新秀立交桥")  # 立交 is swapped, never removed
    assert set(name_variants("春风隧道")) == {"春风隧道"}
