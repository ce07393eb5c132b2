"""layers.report against hand-labelled reports: the seed and texts in other styles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

import layers.report as report
import layers.report_io as report_io
from geo.errors import DataError
from geo.gazetteer import load_gazetteer
from geo.names import normalize_text, to_simplified
from layers.report import (
    PlaceMatcher,
    decode_bytes,
    detect_encoding,
    extract,
    extract_file,
    highlight_html,
    iter_sentences,
    layer_index,
    load_rules,
    read_report,
)
from planmap.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPORTS = FIXTURES / "reports"
LABELS = json.loads((REPORTS / "labels.json").read_text(encoding="utf-8"))
SEED_LABELS = json.loads((FIXTURES / "seed_labels.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gaz() -> gpd.GeoDataFrame:
    return load_gazetteer()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def matcher(gaz, rules) -> PlaceMatcher:
    return PlaceMatcher(gaz, rules=rules)


@pytest.fixture(scope="module")
def layer_of() -> dict[str, str]:
    from layers.build import build_from_files

    return layer_index(build_from_files())


@pytest.fixture(scope="module")
def seed_result(gaz, matcher, layer_of):
    return extract_file(
        FIXTURES / "seed_article.txt", gazetteer=gaz, matcher=matcher, layer_of=layer_of
    )


def recall_precision(found: set[str], labelled: set[str]) -> tuple[float, float]:
    hits = len(found & labelled)
    return hits / len(labelled), (hits / len(found) if found else 1.0)


def found_ids(text: str, gaz, matcher) -> list[str]:
    return [m.id for m in matcher.find(normalize_text(text))]


# --- the seed ------------------------------------------------------------------------------


def test_seed_recall_and_precision_are_one(seed_result, capsys):
    found = {p.name for p in seed_result.found}
    labelled = set(SEED_LABELS["places"])
    recall, precision = recall_precision(found, labelled)
    with capsys.disabled():
        print(f"\nseed: recall {recall:.3f}, precision {precision:.3f} ({len(labelled)} places)")
    assert found - labelled == set(), "spurious places"
    assert labelled - found == set(), "missed places"
    assert (recall, precision) == (1.0, 1.0)


def test_seed_not_places_are_neither_found_nor_unresolved(seed_result):
    names = {p.name for p in seed_result.found}
    phrases = {u.phrase for u in seed_result.unresolved}
    for thing in SEED_LABELS["not_places"]:
        assert thing not in names
        assert not any(thing in p or p in thing for p in phrases), thing


def test_seed_every_found_place_is_mapped_with_its_sentence(seed_result):
    for place in seed_result.found:
        assert place.layer is not None, place.id
        assert place.sentences, place.id
        for sentence in place.sentences:
            assert any(s in sentence for s in place.surface), (place.id, sentence)


def test_seed_mentions_counted_by_hand(seed_result):
    by_name = {p.name: p for p in seed_result.found}
    # 蓮塘口岸 four times on its own (连廊, 合作查验, 热门话题, 大流量); the fifth is inside
    # 蓮塘口岸休閑消費街區, which is its own place.
    assert by_name["莲塘口岸"].mentions == 4
    assert by_name["莲塘口岸休闲消费街区"].mentions == 1
    # 紅嶺 appears once, inside the axis: neither 红岭站 nor anything else is found
    assert by_name["红岭金融总部发展轴"].mentions == 1


def test_seed_longest_match_wins(seed_result):
    ids = {p.id for p in seed_result.found}
    # bare station names hidden in longer names or used alone (打造蓮塘IP形象) are not stations
    for station in ("station.liantang", "station.hongling", "station.xinxiu", "station.cuizhu"):
        assert station not in ids


def test_seed_unresolved_is_short_and_real(seed_result):
    phrases = [u.phrase for u in seed_result.unresolved]
    # read from the article: the Greater Bay Area and three Hong Kong planning areas
    assert set(phrases) == {
        "大湾区",
        "口岸商贸及产业区",
        "蓝绿康乐旅游生态区",
        "深港陆地边界管理区",
    }
    for u in seed_result.unresolved:
        assert u.phrase in u.sentence
        assert not re.fullmatch(r"[\d一二三四五六七八九十两]+.*", u.phrase)


def test_seed_status_from_wording(seed_result):
    status = {p.name: p.status for p in seed_result.found}
    assert status["5号线西延"] == "existing"  # 建成运营
    assert status["17号线"] == "under_construction"  # 推进
    assert status["24号线北延"] == "planned"  # 推动
    assert status["新秀立交"] == "under_construction"  # 开工建设
    assert status["跨境低空航线"] == "proposed"  # 争取


def test_seed_json_shape(seed_result):
    doc = json.loads(json.dumps(seed_result.to_dict(), ensure_ascii=False))
    assert set(doc) >= {"found", "unresolved"}
    for item in doc["found"]:
        assert set(item) >= {"id", "name", "layer", "mentions", "sentences"}
    for item in doc["unresolved"]:
        assert set(item) >= {"phrase", "sentence"}


# --- other styles --------------------------------------------------------------------------


@pytest.mark.parametrize("name", [k for k in LABELS if not k.startswith("_")])
def test_authored_reports(name, gaz, matcher, capsys):
    label = LABELS[name]
    result = extract_file(REPORTS / name, gazetteer=gaz, matcher=matcher)
    found = {p.id for p in result.found}
    recall, precision = recall_precision(found, set(label["places"]))
    with capsys.disabled():
        print(f"\n{name}: recall {recall:.3f}, precision {precision:.3f}")
    assert found == set(label["places"])
    assert not found & set(label["not_found"])
    phrases = {u.phrase for u in result.unresolved}
    assert set(label["unresolved"]) <= phrases
    assert phrases <= set(label["unresolved"]) | set(label.get("unresolved_borderline", []))


def test_generic_station_words_need_a_name(gaz, matcher):
    assert [
        u.phrase for u in extract("前往火车站。", gazetteer=gaz, matcher=matcher).unresolved
    ] == []
    glued = extract("到罗湖火车站。", gazetteer=gaz, matcher=matcher)
    assert [u.phrase for u in glued.unresolved] == ["罗湖火车站"]


def test_traditional_with_and_without_annotations_agree(gaz, matcher):
    plain = (REPORTS / "traditional.txt").read_text(encoding="utf-8")
    annotated = plain.replace("羅湖口岸", "羅(luó)湖口(kǒu)岸").replace("蓮塘", "蓮(lián)塘")
    assert annotated != plain
    a = extract(plain, gazetteer=gaz, matcher=matcher)
    b = extract(annotated, gazetteer=gaz, matcher=matcher)
    assert [(p.id, p.mentions) for p in a.found] == [(p.id, p.mentions) for p in b.found]


# --- the matcher ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("完成莲塘口岸建设", ["port.liantang"]),
        ("莲塘口岸站", ["station.liantangkouan"]),
        ("红岭金融总部发展轴", ["structure.hongling_axis"]),
        ("红岭站和红岭北站", ["station.hongling", "station.honglingbei"]),
        ("15号线", []),  # not 5号线
        ("5号线和25号线", ["metro.line5", "metro.line25_south_ext"]),
        ("Line 12 is not Line 1.", ["metro.line1"]),
        ("LIANTANG PORT and liantang port", ["port.liantang", "port.liantang"]),
        ("Liantangport", []),  # a Latin key needs word boundaries
        ("蔡屋圍－東門現代商貿組團", ["structure.caiwuwei_dongmen_cluster"]),
        ("在莲塘", []),  # a bare station name is ambiguous
        ("Robin's Nest, Robin’s Nest", ["hk.robins_nest", "hk.robins_nest"]),
    ],
)
def test_matcher_longest_and_bounded(text, expected, gaz, matcher):
    assert found_ids(text, gaz, matcher) == expected


def test_short_aliases_are_skipped(rules):
    tiny = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "name": ["甲乙公园", "丙丁路"],
            "name_en": ["A", "B"],
            "aliases": [["甲", "AB"], ["ABC Road"]],
            "kind": ["landmark", "road"],
        },
        geometry=[Point(114.1, 22.5), None],
        crs="EPSG:4326",
    )
    m = PlaceMatcher(tiny, rules=rules)
    assert "甲" in m.skipped and "ab" in m.skipped
    assert [x.id for x in m.find("甲地 AB 甲乙公园 abc road")] == ["a", "b"]


def test_an_alias_of_two_places_is_not_guessed(rules):
    tiny = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "name": ["甲乙公园", "丙丁公园"],
            "name_en": ["A", "B"],
            "aliases": [["中心公园", "丙丁公园"], ["中心公园"]],
            "kind": ["landmark", "landmark"],
        },
        geometry=[None, None],
        crs="EPSG:4326",
    )
    m = PlaceMatcher(tiny, rules=rules)
    assert m.skipped["中心公园"] == "alias of several places: a, b"
    # an alias equal to another place's canonical name stays with that place
    assert [x.id for x in m.find("中心公园、丙丁公园、甲乙公园")] == ["b", "a"]


def test_matcher_is_one_compiled_pattern_of_all_keys(matcher):
    for key in list(matcher.keys)[:50]:
        assert matcher.pattern.fullmatch(key), key


# --- sentences and excerpts ----------------------------------------------------------------


def test_sentences_split_on_terminators_and_newlines():
    text = "甲。乙!丙？丁;戊；己\n庚?辛！"
    assert list(iter_sentences(text)) == ["甲。", "乙!", "丙？", "丁;", "戊；", "己", "庚?", "辛！"]


def test_excerpt_is_truncated(seed_result, rules):
    excerpts = seed_result.excerpts(rules=rules)
    assert excerpts["port.liantang"][0] == 4
    for mentions, text in excerpts.values():
        assert mentions >= 1
        assert 0 < len(text) <= rules.excerpt_chars


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "encoding"),
    [
        ("simplified.txt", "gb18030"),
        ("traditional.txt", "big5"),
        ("english_mixed.txt", "utf-16"),
        ("simplified.txt", "utf-8-sig"),
        ("traditional.txt", "utf-32"),
    ],
)
def test_other_encodings(fixture, encoding, tmp_path, gaz, matcher):
    text = (REPORTS / fixture).read_text(encoding="utf-8")
    path = tmp_path / "r.txt"
    path.write_bytes(text.encode(encoding))
    result = extract_file(path, gazetteer=gaz, matcher=matcher)
    assert {p.id for p in result.found} == set(LABELS[fixture]["places"])


def test_gb18030_and_big5_are_told_apart():
    text = (REPORTS / "traditional.txt").read_text(encoding="utf-8")
    assert detect_encoding(text.encode("big5")) == "big5"
    simplified = (REPORTS / "simplified.txt").read_text(encoding="utf-8")
    assert detect_encoding(simplified.encode("gb18030")) == "gb18030"
    assert decode_bytes(simplified.encode("gb18030")) == simplified


@pytest.mark.parametrize(
    ("text", "encoding"), [("罗湖区", "gb18030"), ("羅湖區", "big5"), ("蓮塘口岸", "big5")]
)
def test_short_gb18030_and_big5(text, encoding):
    assert detect_encoding(text.encode(encoding)) == encoding


def test_empty_and_blank_files_are_refused(tmp_path, gaz, matcher):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.txt: empty file"):
        extract_file(empty, gazetteer=gaz, matcher=matcher)
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\n\t\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"blank\.txt: no text"):
        extract_file(blank, gazetteer=gaz, matcher=matcher)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"PK\x03\x04\x14\x00\x06\x00" + b"\x01\x02\x03\x04" * 50,
    ],
)
def test_binary_files_are_refused(data, tmp_path, gaz, matcher):
    path = tmp_path / "image.png"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"image\.png: binary file"):
        extract_file(path, gazetteer=gaz, matcher=matcher)


def test_undecodable_text_is_refused(tmp_path, gaz, matcher):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"abc \x80\x80\x80\xff\xff def " * 20)
    with pytest.raises(DataError, match=r"odd\.txt: not UTF-8"):
        extract_file(path, gazetteer=gaz, matcher=matcher)


def test_utf8_broken_after_the_sample_is_refused(tmp_path, gaz, matcher, monkeypatch):
    monkeypatch.setattr(report_io, "SAMPLE_BYTES", 16)
    path = tmp_path / "late.txt"
    path.write_bytes("莲塘口岸很好。".encode() * 4 + b"\xff\xfe\xfd" + "罗湖口岸。".encode())
    with pytest.raises(DataError, match=r"late\.txt: not valid utf-8"):
        extract_file(path, gazetteer=gaz, matcher=matcher)


def test_missing_file_and_folder(tmp_path, gaz, matcher):
    with pytest.raises(DataError, match=r"nope\.txt: no such file"):
        extract_file(tmp_path / "nope.txt", gazetteer=gaz, matcher=matcher)
    with pytest.raises(DataError, match="is a folder"):
        extract_file(tmp_path, gazetteer=gaz, matcher=matcher)


def test_oversized_file_is_refused_with_the_limit(tmp_path, gaz, matcher, rules):
    path = tmp_path / "big.txt"
    path.write_text("莲塘口岸。\n" * 2000, encoding="utf-8")
    small = rules.replace(max_bytes=10_000)
    with pytest.raises(DataError, match=r"big\.txt: .* MiB limit"):
        read_report(path, rules=small)
    with pytest.raises(DataError, match="limit"):
        extract_file(path, gazetteer=gaz, matcher=matcher, rules=small)


def test_streaming_in_small_chunks_gives_the_same_result(tmp_path, gaz, matcher, monkeypatch):
    seed = (FIXTURES / "seed_article.txt").read_text(encoding="utf-8")
    whole = extract(seed, gazetteer=gaz, matcher=matcher)
    monkeypatch.setattr(report_io, "CHUNK_CHARS", 500)
    path = tmp_path / "seed.txt"
    path.write_text(seed, encoding="utf-8")
    _, chunks = read_report(path)
    pieces = list(chunks)
    assert len(pieces) > 5 and "".join(pieces) == seed
    streamed = extract(pieces, gazetteer=gaz, matcher=matcher)
    assert [(p.id, p.mentions) for p in streamed.found] == [(p.id, p.mentions) for p in whole.found]
    assert [u.phrase for u in streamed.unresolved] == [u.phrase for u in whole.unresolved]


def test_one_huge_line_is_cut_at_sentence_ends(tmp_path, gaz, matcher, monkeypatch):
    monkeypatch.setattr(report_io, "CHUNK_CHARS", 1000)
    path = tmp_path / "oneline.txt"
    path.write_text("推进莲塘口岸建设。" * 3000, encoding="utf-8")  # no newline at all
    _, chunks = read_report(path)
    pieces = list(chunks)
    assert len(pieces) > 10
    assert all(p.endswith("。") for p in pieces)
    result = extract(pieces, gazetteer=gaz, matcher=matcher)
    assert [(p.id, p.mentions) for p in result.found] == [("port.liantang", 3000)]


def test_a_huge_sentence_is_kept_as_a_window(gaz, matcher, rules):
    text = "甲" * 100_000 + "罗湖口岸" + "乙" * 100_000 + "。"
    result = extract(text, gazetteer=gaz, matcher=matcher, rules=rules)
    (sentence,) = result.found[0].sentences
    assert "罗湖口岸" in sentence
    assert len(sentence) == rules.max_sentence_chars + 2  # with an ellipsis at each end
    assert sentence.startswith("…甲") and sentence.endswith("乙…")


def test_memory_is_bounded_by_the_rules(tmp_path, gaz, matcher, rules):
    path = tmp_path / "long.txt"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(5000):
            fh.write(f"第{i}次提到罗湖口岸和新建的甲{i}乙立交。\n")
    small = rules.replace(max_sentences_per_place=3, max_unresolved=10)
    result = extract_file(path, gazetteer=gaz, matcher=matcher, rules=small)
    (place,) = result.found
    assert (place.id, place.mentions, len(place.sentences)) == ("port.luohu", 5000, 3)
    assert len(result.unresolved) == 10 and result.truncated_unresolved


# --- HTML safety ---------------------------------------------------------------------------


def test_highlight_escapes_everything_but_its_marks(gaz, matcher):
    raw = (REPORTS / "hostile.html.txt").read_text(encoding="utf-8")
    text = normalize_text(raw)
    names = dict(zip(gaz["id"], gaz["name"], strict=True))
    out = highlight_html(text, matcher, names=names)
    tags = re.findall(r"<(/?[a-zA-Z]+)", out)
    assert set(tags) <= {"div", "/div", "mark", "/mark", "br"}
    assert out.count("<mark") == 3
    assert '<mark data-id="port.liantang"' in out
    for markdown in ("**", "`", "$", "[link]", "_it_", "# heading"):
        assert markdown not in out
    assert "&lt;script&gt;" in out
    # the entity written in the report stays text: &amp;amp; in the HTML
    assert "&amp;amp;" in out


def test_highlight_marks_match_extraction(seed_text, seed_result, matcher):
    out = highlight_html(normalize_text(seed_text), matcher)
    assert out.count("<mark") == sum(p.mentions for p in seed_result.found)


# --- CLI -----------------------------------------------------------------------------------


def test_cli_extract_json(capsys):
    assert main(["extract", str(FIXTURES / "seed_article.txt"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {f["name"] for f in doc["found"]} == set(SEED_LABELS["places"])
    assert all(f["layer"] for f in doc["found"])


def test_cli_extract_table_and_refusal(capsys, tmp_path):
    assert main(["extract", str(REPORTS / "traditional.txt")]) == 0
    out = capsys.readouterr().out
    assert "port.liantang" in out and "笋岗片区" in out
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert main(["extract", str(empty)]) == 2
    assert "e.txt: empty file" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_build_with_report_fills_excerpts(tmp_path, capsys):
    out = tmp_path / "build"
    assert main(["build", "--report", str(FIXTURES / "seed_article.txt"), "--out", str(out)]) == 0
    ports = json.loads((out / "ports.geojson").read_text(encoding="utf-8"))
    props = {f["properties"]["id"]: f["properties"] for f in ports["features"]}
    assert props["port.liantang"]["mentions"] == 4
    assert "莲塘口岸" in props["port.liantang"]["report_excerpt"]
    zones = json.loads((out / "context.geojson").read_text(encoding="utf-8"))
    futian = next(f for f in zones["features"] if f["properties"]["id"] == "district.futian")
    assert futian["properties"]["mentions"] == 0  # the seed never names 福田


def test_rules_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("[input\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"rules\.toml: not valid TOML"):
        load_rules(bad)
    text = (Path(report.__file__).parents[1] / "data" / "report_rules.toml").read_text(
        encoding="utf-8"
    )
    bad.write_text(text.replace("max_bytes = ", "max_bytes_x = "), encoding="utf-8")
    with pytest.raises(DataError, match=r"rules\.toml: \[input\]\.max_bytes must be an integer"):
        load_rules(bad)


def test_labels_use_simplified_forms():
    # the labelled unresolved phrases are what a planner would type into the gazetteer
    for name, label in LABELS.items():
        if name.startswith("_"):
            continue
        for phrase in label["unresolved"]:
            assert to_simplified(phrase) == phrase


# --- the app page --------------------------------------------------------------------------


@pytest.mark.slow
def test_report_page_escapes_and_maps(seed_result):
    from streamlit.testing.v1 import AppTest

    page = Path(__file__).parents[1] / "pages" / "1_Report.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.run()
    assert not at.exception
    hostile = (REPORTS / "hostile.html.txt").read_text(encoding="utf-8")
    at.text_area(key="report_text").input(hostile).run()
    assert not at.exception
    (marked,) = [m.value for m in at.markdown if "planmap-report" in m.value]
    assert "<script" not in marked and "<iframe" not in marked and "<img" not in marked
    assert marked.count("<mark") == 3
    box = at.selectbox(key="report_place")
    assert box.value == "port.liantang"
    box.select("port.wenjindu").run()
    assert not at.exception
    assert "文锦渡口岸" in [t.value for t in at.text]
    # the seed: every found place is offered; unlocated ones say so instead of failing
    at.text_area(key="report_text").input(
        (FIXTURES / "seed_article.txt").read_text(encoding="utf-8")
    ).run()
    assert not at.exception
    assert set(at.selectbox(key="report_place").options) == {
        f"{p.name} · {p.layer} · {p.mentions}×" for p in seed_result.found
    }
    at.selectbox(key="report_place").select("zone.yulong_area").run()  # unlocated
    assert not at.exception
    assert any("no location" in w.value for w in at.warning)


def test_text_for_display_limits(rules):
    from layers.report import text_for_display

    assert text_for_display("莲塘口岸".encode("gb18030"), where="a.txt", rules=rules) == "莲塘口岸"
    with pytest.raises(DataError, match="a.txt: empty text"):
        text_for_display(b"  \n", where="a.txt", rules=rules)
    small = rules.replace(display_max_chars=10)
    with pytest.raises(DataError, match="use `planmap extract`"):
        text_for_display("罗湖口岸" * 5, where="pasted text", rules=small)
    with pytest.raises(DataError, match="b.bin: binary file"):
        text_for_display(b"\x00\x01\x02abc", where="b.bin", rules=rules)


def test_highlight_shows_apostrophes_and_quotes_as_typed(matcher):
    import html as html_mod
    import re

    out = highlight_html('Luohu\'s "port" & 莲塘口岸', matcher)
    assert "x27" not in out  # no half-escaped &#x27;
    text = html_mod.unescape(re.sub(r"<[^>]+>", "", out))
    assert text == 'Luohu\'s "port" & 莲塘口岸'
