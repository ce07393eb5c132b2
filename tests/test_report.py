"""layers.report against hand-labelled reports: the seed and texts in other styles."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

import layers.report as report
import layers.report.io as report_io
import layers.report.match as report_match
import layers.report.phrases as report_phrases
import layers.report.pipeline as report_pipeline
from geo.errors import DataError
from geo.gazetteer import load_gazetteer
from geo.model import Status
from geo.name_index import Policy
from geo.names import HAN, HAN_RANGES, is_han, normalize_text, to_simplified
from layers.evidence import Evidence
from layers.report import (
    PhraseFinder,
    PlaceMatcher,
    ReportResult,
    decode_bytes,
    default_rules_path,
    detect_encoding,
    extract,
    extract_file,
    highlight_html,
    iter_sentences,
    layer_index,
    load_rules,
    read_evidence,
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
    return PlaceMatcher.from_frame(gaz, rules=rules)


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
    m = PlaceMatcher.from_frame(tiny, rules=rules)
    assert "甲" in m.skipped
    assert "ab" in m.skipped
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
    m = PlaceMatcher.from_frame(tiny, rules=rules)
    assert m.skipped["中心公园"] == "alias of several places: a, b"
    # an alias equal to another place's canonical name stays with that place
    assert [x.id for x in m.find("中心公园、丙丁公园、甲乙公园")] == ["b", "a"]


def test_matcher_is_one_compiled_pattern_of_all_keys(matcher):
    for key in list(matcher.keys)[:50]:
        assert matcher.pattern.fullmatch(key), key


def test_every_kept_surface_is_the_name_index_answer(matcher):
    assert len(matcher.keys) > 400
    for surface, fid in matcher.keys.items():
        assert matcher.index.resolve(surface, policy=Policy.RECORD).id == fid, surface


def test_a_surface_the_index_gives_to_another_place_is_left_out(rules):
    # "丙丁 公园" is b's alias as written, but the index reads it as a's canonical name
    tiny = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "name": ["丙丁公园", "戊己公园"],
            "name_en": [None, None],
            "aliases": [[], ["丙丁 公园"]],
            "kind": ["landmark", "landmark"],
        },
        geometry=[None, None],
        crs="EPSG:4326",
    )
    m = PlaceMatcher.from_frame(tiny, rules=rules)
    assert m.skipped["丙丁 公园"] == "the name index resolves it to a, not b"
    assert [x.id for x in m.find("丙丁公园和丙丁 公园、戊己公园")] == ["a", "b"]


def test_one_han_test_for_the_whole_code_base(rules):
    ext_b = chr(0x20000)
    assert is_han(ext_b)
    assert re.fullmatch(f"[{HAN}]", ext_b)
    for lo, hi in HAN_RANGES:
        for code in (lo - 1, lo, hi, hi + 1):
            assert is_han(chr(code)) == bool(re.fullmatch(f"[{HAN}]", chr(code))), hex(code)
    tiny = gpd.GeoDataFrame(
        {
            "id": ["a"],
            "name": ["甲乙公园"],
            "name_en": [None],
            "aliases": [[ext_b]],
            "kind": ["landmark"],
        },
        geometry=[None],
        crs="EPSG:4326",
    )
    m = PlaceMatcher.from_frame(tiny, rules=rules)
    # counted as one Han character (min_han_chars), not as a too-short Latin key
    assert m.skipped[ext_b] == "one Han character"
    # and phrases are made of them: an extension-B name is a place-like phrase
    phrases = [u.phrase for u in extract("推进𠀂𠀃片区建设。", matcher=m, rules=rules).unresolved]
    assert phrases == ["𠀂𠀃片区"]


# --- sentences and excerpts ----------------------------------------------------------------


def test_sentences_split_on_terminators_and_newlines():
    text = "甲。乙!丙？丁;戊；己\n庚?辛！"
    assert list(iter_sentences(text)) == ["甲。", "乙!", "丙？", "丁;", "戊；", "己", "庚?", "辛！"]


def test_excerpt_is_truncated(seed_result, rules):
    evidence = seed_result.evidence(rules=rules)
    assert evidence["port.liantang"].mentions == 4
    for item in evidence.values():
        assert item.mentions >= 1
        assert 0 < len(item.excerpt) <= rules.input.excerpt_chars


# --- evidence ------------------------------------------------------------------------------


def test_evidence_is_typed_with_spans_into_the_normalised_text(seed_text, matcher, rules):
    text = normalize_text(seed_text)
    result = extract(seed_text, matcher=matcher, rules=rules)
    evidence = result.evidence()
    assert list(evidence) == [p.id for p in result.found]
    for place in result.found:
        item = evidence[place.id]
        assert isinstance(item, Evidence)
        assert item.id == place.id
        assert type(item.mentions) is int
        assert item.mentions == place.mentions
        assert item.excerpt == place.excerpt(
            sentences=rules.input.excerpt_sentences, chars=rules.input.excerpt_chars
        )
        assert len(item.spans) == len(place.sentences) > 0
        for (a, b), sentence in zip(item.spans, place.sentences, strict=True):
            # the sentence kept, less the ellipses of a cut
            assert text[a:b] in sentence
            assert len(sentence) - (b - a) <= 2
            assert any(s in text[a:b] for s in place.surface)
    assert evidence["metro.line17"].status is Status.UNDER_CONSTRUCTION
    assert evidence["port.liantang"].mentions == 4


def test_read_evidence_streams_and_counts_offsets_across_pieces(tmp_path, gaz, monkeypatch):
    seed = (FIXTURES / "seed_article.txt").read_text(encoding="utf-8")
    path = tmp_path / "seed.txt"
    path.write_text(seed, encoding="utf-8")
    monkeypatch.setattr(report_io, "CHUNK_BYTES", 700)
    _, chunks = read_report(path)
    pieces = list(chunks)
    assert len(pieces) > 5
    joined = "\n".join(normalize_text(p) for p in pieces)  # the streamed normalised text
    evidence = read_evidence(path, gazetteer=gaz)
    assert evidence == extract_file(path, gazetteer=gaz).evidence()
    assert evidence["port.liantang"].mentions == 4
    for item in evidence.values():
        for a, b in item.spans:
            assert joined[a:b]
            assert joined[a:b] in item.excerpt + joined
    first = evidence["port.liantang"]
    a, b = first.spans[0]
    assert "莲塘口岸" in joined[a:b]


def test_the_untyped_helpers_are_gone():
    assert not hasattr(ReportResult, "excerpts")
    assert not hasattr(report, "report_excerpts")


def test_extract_needs_a_gazetteer_or_a_matcher():
    with pytest.raises(TypeError, match="gazetteer or a matcher"):
        extract("莲塘口岸。")


# --- linear time ---------------------------------------------------------------------------


class _Counted:
    """A compiled pattern that counts its calls and the characters they pass over."""

    def __init__(self, pattern: re.Pattern, counter: dict[str, int]) -> None:
        self.pattern, self.counter = pattern, counter

    def _count(self, chars: int) -> None:
        self.counter["calls"] += 1
        self.counter["chars"] += max(chars, 0)

    def finditer(self, string, pos=0, endpos=sys.maxsize):
        self._count(min(endpos, len(string)) - pos)
        return self.pattern.finditer(string, pos, endpos)

    def findall(self, string, pos=0, endpos=sys.maxsize):
        self._count(min(endpos, len(string)) - pos)
        return self.pattern.findall(string, pos, endpos)

    def search(self, string, pos=0, endpos=sys.maxsize):
        m = self.pattern.search(string, pos, endpos)
        self._count((m.end() if m else min(endpos, len(string))) - pos)
        return m

    def match(self, string, pos=0, endpos=sys.maxsize):
        m = self.pattern.match(string, pos, endpos)
        self._count(m.end() - pos if m else 1)
        return m

    def fullmatch(self, string, pos=0, endpos=sys.maxsize):
        self._count(min(endpos, len(string)) - pos)
        return self.pattern.fullmatch(string, pos, endpos)

    def sub(self, repl, string, count=0):
        self._count(len(string))
        return self.pattern.sub(repl, string, count)

    def __getattr__(self, name):
        return getattr(self.pattern, name)


class _CountingRe:
    """Stands in for the ``re`` module: every pattern compiled through it is counted."""

    def __init__(self) -> None:
        self.counter = {"calls": 0, "chars": 0}

    def compile(self, pattern, flags=0):
        return _Counted(re.compile(pattern, flags), self.counter)

    def finditer(self, pattern, string, flags=0):
        return self.compile(pattern, flags).finditer(string)

    def sub(self, pattern, repl, string, count=0, flags=0):
        return self.compile(pattern, flags).sub(repl, string, count)

    def __getattr__(self, name):
        return getattr(re, name)


def _long_line(k: int) -> str:
    """One sentence without punctuation or cue words: 2k mentions, then k suffixes (路) that
    are no name, so the phrase before each reaches back to the start of the run."""
    return "罗湖口岸莲塘口岸" * k + "甲乙道路" * k


def _scanned(monkeypatch, rules, k: int) -> tuple[dict[str, int], dict[str, int]]:
    """Characters and calls of every pattern the pipeline compiles (the cue pattern apart)."""
    cues, others = _CountingRe(), _CountingRe()
    with monkeypatch.context() as patch:
        patch.setattr(report_pipeline, "re", cues)
        patch.setattr(report_phrases, "re", others)
        patch.setattr(report_match, "re", others)
        gazetteer = load_gazetteer()
        matcher = PlaceMatcher.from_frame(gazetteer, rules=rules)
        result = extract(_long_line(k), matcher=matcher, rules=rules)
    assert result.sentences == 1
    assert sum(p.mentions for p in result.found) == 2 * k
    return cues.counter, others.counter


def test_extraction_scans_a_long_sentence_in_linear_time(monkeypatch, rules):
    small_cues, small = _scanned(monkeypatch, rules, 300)
    large_cues, large = _scanned(monkeypatch, rules, 1200)
    # status cues: found once per sentence, however many mentions need a status
    assert small_cues["calls"] == large_cues["calls"] == 1
    # every scan together: four times the text, about four times the characters (a rescan of
    # the sentence per mention or per suffix would be sixteen times)
    text_ratio = len(_long_line(1200)) / len(_long_line(300))
    assert large["chars"] / small["chars"] < 1.1 * text_ratio
    assert large["chars"] < 20 * len(_long_line(1200))


def test_counts_never_start_inside_a_numeral(rules):
    finder = PhraseFinder(rules)
    assert finder.count_re.search("建成12个").group(0) == "12个"
    assert finder.count_re.search("一二三个", 1) is None  # a count starts where its number does
    assert finder.count_re.search("建成一二三个").group(0) == "一二三个"


def test_a_phrase_reaching_back_past_the_limit_is_not_a_name(matcher, rules):
    limit = rules.unresolved.max_phrase_chars
    run = "丙" * (3 * limit)
    assert [u.phrase for u in extract(run + "片区。", matcher=matcher).unresolved] == []
    # a separator within the limit still cuts the name out of the run
    cut = extract(run + "的甲乙片区。", matcher=matcher).unresolved
    assert [u.phrase for u in cut] == ["甲乙片区"]


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


def test_binary_after_the_first_sample_is_refused_with_its_offset(tmp_path, matcher, monkeypatch):
    text = ("莲塘口岸很好。\n" * 4000).encode()
    assert len(text) > report_io.SAMPLE_BYTES
    path = tmp_path / "late.bin"
    path.write_bytes(text + b"\x00\x01\x02" * 100 + "罗湖口岸。".encode())
    message = rf"late\.bin: binary file \(NUL bytes at byte {len(text)}\)"
    with pytest.raises(DataError, match=message):
        extract_file(path, matcher=matcher)
    monkeypatch.setattr(report_io, "CHUNK_BYTES", 1001)  # pieces that split characters
    with pytest.raises(DataError, match=message):
        extract_file(path, matcher=matcher)
    with pytest.raises(DataError, match=rf"up\.txt: binary file \(NUL bytes at byte {len(text)}\)"):
        decode_bytes(path.read_bytes(), where="up.txt")


def test_control_characters_after_the_sample_are_binary(tmp_path, matcher):
    text = ("罗湖口岸。\n" * 6000).encode()
    path = tmp_path / "controls.txt"
    path.write_bytes(text + bytes(range(1, 32)) * 50)  # no NUL, valid UTF-8
    with pytest.raises(DataError, match=rf"binary file \(control bytes at byte {len(text)}\)"):
        extract_file(path, matcher=matcher)


def test_binary_in_utf16_is_found_in_the_decoded_text(tmp_path, matcher):
    text = "莲塘口岸很好。\n" * 8000
    path = tmp_path / "wide.txt"
    path.write_bytes(text.encode("utf-16") + "\x00\x00".encode("utf-16-le"))
    offset = 2 + 2 * len(text)  # the BOM, then two bytes a character
    with pytest.raises(DataError, match=rf"wide\.txt: binary file \(NUL bytes at byte {offset}\)"):
        extract_file(path, matcher=matcher)


def test_a_stray_control_character_is_not_binary(tmp_path, matcher):
    path = tmp_path / "stray.txt"
    path.write_bytes(("罗湖口岸。\n" * 6000).encode() + b"\x0b" + "莲塘口岸。".encode())
    result = extract_file(path, matcher=matcher)
    assert {p.id for p in result.found} == {"port.luohu", "port.liantang"}


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


@pytest.mark.parametrize("chunk", [999, 1 << 20])  # in a later block, or in the first
@pytest.mark.parametrize(
    ("bom", "codec", "bad"),
    [(b"\xef\xbb\xbf", "utf-8", b"\xff"), (b"\xff\xfe", "utf-16-le", b"\x00\xdc")],
)
def test_a_decoding_error_names_its_byte(bom, codec, bad, chunk, tmp_path, matcher, monkeypatch):
    monkeypatch.setattr(report_io, "CHUNK_BYTES", chunk)
    good = bom + "莲塘口岸很好。\n".encode(codec) * 300
    path = tmp_path / "broken.txt"
    path.write_bytes(good + bad + "罗湖口岸。".encode(codec))
    with pytest.raises(
        DataError, match=rf"broken\.txt: not valid utf-(8-sig|16) text at byte {len(good)} "
    ):
        extract_file(path, matcher=matcher)


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
    monkeypatch.setattr(report_io, "CHUNK_BYTES", 500)
    path = tmp_path / "seed.txt"
    path.write_text(seed, encoding="utf-8")
    _, chunks = read_report(path)
    pieces = list(chunks)
    assert len(pieces) > 5
    assert "".join(pieces) == seed
    streamed = extract(pieces, gazetteer=gaz, matcher=matcher)
    assert [(p.id, p.mentions) for p in streamed.found] == [(p.id, p.mentions) for p in whole.found]
    assert [u.phrase for u in streamed.unresolved] == [u.phrase for u in whole.unresolved]


def test_one_huge_line_is_cut_at_sentence_ends(tmp_path, gaz, matcher, monkeypatch):
    monkeypatch.setattr(report_io, "CHUNK_BYTES", 1000)
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
    assert len(sentence) == rules.input.max_sentence_chars + 2  # with an ellipsis at each end
    assert sentence.startswith("…甲")
    assert sentence.endswith("乙…")


def test_memory_is_bounded_by_the_rules(tmp_path, gaz, matcher, rules):
    path = tmp_path / "long.txt"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(5000):
            fh.write(f"第{i}次提到罗湖口岸和新建的甲{i}乙立交。\n")
    small = rules.replace(max_sentences_per_place=3, max_unresolved=10)
    result = extract_file(path, gazetteer=gaz, matcher=matcher, rules=small)
    (place,) = result.found
    assert (place.id, place.mentions, len(place.sentences)) == ("port.luohu", 5000, 3)
    assert len(result.unresolved) == 10
    assert result.truncated_unresolved


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
    assert "port.liantang" in out
    assert "笋岗片区" in out
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert main(["extract", str(empty)]) == 2
    assert "e.txt: empty file" in capsys.readouterr().err


_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_cli_extract_shows_bidi_controls_escaped(capsys, tmp_path):
    path = tmp_path / "bidi.txt"
    path.write_text(f"推进莲塘口岸{_BIDI}建设。\n", encoding="utf-8")
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    assert "port.liantang" in out
    assert not set(out) & set(_BIDI)
    for char in _BIDI:
        assert f"<U+{ord(char):04X}>" in out
    assert main(["extract", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert not set(out) & set(_BIDI)  # \u escapes in the JSON: the same value
    (place,) = json.loads(out)["found"]
    assert _BIDI in place["sentences"][0]


def test_cli_extract_district_option(capsys):
    seed = str(FIXTURES / "seed_article.txt")
    assert main(["extract", seed, "--json", "--district", "luohu"]) == 0
    assert len(json.loads(capsys.readouterr().out)["found"]) == len(SEED_LABELS["places"])
    assert main(["extract", seed, "--district", "atlantis"]) == 2
    assert "district 'atlantis' is not one of: futian, luohu" in capsys.readouterr().err


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
    text = default_rules_path().read_text(encoding="utf-8")
    bad.write_text(text.replace("max_bytes = ", "max_bytes_x = "), encoding="utf-8")
    with pytest.raises(DataError, match=r"rules\.toml: input\.max_bytes: Field required"):
        load_rules(bad)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "existing = [",
            "built = [",
            r"status\.built\.\[key\]: status 'built' is not one of: existing, under_construction, "
            r"planned, proposed",
        ),
        (
            "require_suffix = { metro_station",
            "require_suffix = { metro_stop",
            r"matcher\.require_suffix\.metro_stop\.\[key\]: kind 'metro_stop' is not one of: district,",
        ),
        (
            "max_unresolved = 500",
            "max_unresolved = -1",
            r"input\.max_unresolved: .* greater than 0",
        ),
        (
            'proposed = ["建议"',
            'proposed = ["建成", "建议"',
            "status: cue '建成' is given for existing",
        ),
        ("min_han_chars = 2", 'min_han_chars = "two"', r"matcher\.min_han_chars: .*valid integer"),
    ],
)
def test_rules_are_validated_in_one_line(old, new, message, tmp_path):
    text = default_rules_path().read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "rules.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"^rules\.toml: " + message) as info:
        load_rules(bad)
    assert "\n" not in str(info.value)


def test_rules_accept_a_bom_and_stay_valid_when_replaced(tmp_path, rules):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + default_rules_path().read_bytes())
    assert load_rules(path) == rules
    assert set(rules.status) == set(Status)
    assert rules.cues["推进"] is Status.UNDER_CONSTRUCTION
    assert rules.replace(max_bytes=10).input.max_bytes == 10
    with pytest.raises(DataError, match=r"input\.max_bytes: .* greater than 0"):
        rules.replace(max_bytes=0)
    with pytest.raises(TypeError, match="no report rule 'max_byte'"):
        rules.replace(max_byte=10)


def test_the_report_imports_no_style_or_render_module():
    code = (
        "import sys, layers.report; "
        "print(sorted(m for m in sys.modules if m.startswith(('layers.styles', 'layers.render', "
        "'layers.legend', 'layers.app', 'folium', 'streamlit'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_labels_use_simplified_forms():
    # the labelled unresolved phrases are what a planner would type into the gazetteer
    for name, label in LABELS.items():
        if name.startswith("_"):
            continue
        for phrase in label["unresolved"]:
            assert to_simplified(phrase) == phrase


def test_text_for_display_limits(rules):
    from layers.report import text_for_display

    assert text_for_display("莲塘口岸".encode("gb18030"), where="a.txt", rules=rules) == "莲塘口岸"
    with pytest.raises(DataError, match=r"a.txt: empty text"):
        text_for_display(b"  \n", where="a.txt", rules=rules)
    small = rules.replace(display_max_chars=10)
    with pytest.raises(DataError, match="use `planmap extract`"):
        text_for_display("罗湖口岸" * 5, where="pasted text", rules=small)
    with pytest.raises(DataError, match=r"b.bin: binary file"):
        text_for_display(b"\x00\x01\x02abc", where="b.bin", rules=rules)


def test_highlight_shows_apostrophes_and_quotes_as_typed(matcher):
    import html as html_mod
    import re

    out = highlight_html('Luohu\'s "port" & 莲塘口岸', matcher)
    assert "x27" not in out  # no half-escaped &#x27;
    text = html_mod.unescape(re.sub(r"<[^>]+>", "", out))
    assert text == 'Luohu\'s "port" & 莲塘口岸'
