"""Issue 10: one name index, so the same name gets the same answer everywhere.

The same table of names (Simplified, Traditional, pinyin, English, with and without suffixes,
the seed's pinyin-annotated mojibake) goes through the four entry points: the geocoder, a spec,
a report and the app's search. Each must answer with the same place.
"""

from __future__ import annotations

import pytest

from geo.gazetteer import load_gazetteer
from geo.geocoder import Geocoder
from layers import app
from layers.build import build_layers
from layers.report import PlaceMatcher, extract
from layers.spec import parse_spec

TABLE = {
    "莲塘口岸": "port.liantang",
    "蓮塘口岸": "port.liantang",
    "Liantang Port": "port.liantang",
    "Liantangkouan": "port.liantang",
    "香园围口岸": "port.liantang",
    "羅(luó)湖口(kǒu)岸": "port.luohu",
    "Lo Wu Control Point": "port.luohu",
    "5号线": "metro.line5",
    "5號線": "metro.line5",
    "轨道5号线": "metro.line5",
    "地铁5号线": "metro.line5",
    "Line 5": "metro.line5",
    "罗湖站": "station.luohu",
    "罗湖地铁站": "station.luohu",
    "羅湖站": "station.luohu",
    "Luohu station": "station.luohu",
    "紅嶺金融總部發展軸": "structure.hongling_axis",
    "莲塘街道": "subdistrict.liantang",
    "Liantang Subdistrict": "subdistrict.liantang",
    "清水河": "subdistrict.qingshuihe",
    "清水河街道": "subdistrict.qingshuihe",
    "Qingshuihe Subdistrict": "subdistrict.qingshuihe",
    "清水河片区": "zone.qingshuihe_area",
    "清水河片區": "zone.qingshuihe_area",
    "東曉片區": "zone.dongxiao_area",
    "蔡屋围片区": "zone.caiwuwei_area",
    "洪湖公园": "park.honghu",
    "東湖公園": "landmark.donghu_park",
    "Shenzhen River": "border.hk",
    "羅湖區": "district.luohu",
    "罗湖": "district.luohu",
}
#: names that name a place when a person types them but are no mention in running text (the
#: report's free-text rules, layers.report.match): a bare station name (莲塘 is also a 街道, a
#: 片区 and part of 莲塘口岸) and pinyin written with spaces
TYPED_ONLY = {
    "莲塘": "station.liantang",
    "红岭": "station.hongling",
    "lian tang kou an": "port.liantang",
}


@pytest.fixture(scope="module")
def entry_points():
    gaz = load_gazetteer()
    geocoder = Geocoder(gaz)
    matcher = PlaceMatcher.from_frame(gaz)
    searcher = app.Searcher(app.build_view(overrides_path="/nonexistent.geojson"), gaz)

    def spec(name: str) -> str:
        text = (
            'title = "t"\ndistrict = "luohu"\n[[layers]]\nname = "x"\ntitle = "x"\n'
            f'group = "Zones"\nfeatures = [{{ place = "{name}" }}]\n'
        )
        return str(build_layers(parse_spec(text, path="t.toml"), gaz)["x"]["id"].iloc[0])

    def report(name: str) -> str | None:
        found = extract(f"推进{name}建设。", gazetteer=gaz, matcher=matcher).found
        return found[0].id if len(found) == 1 else None

    def search(name: str) -> str | None:
        hits = searcher.search(name)
        return hits[0].id if hits and hits[0].score >= 85 else None

    return {
        "geocoder": lambda n: geocoder.geocode(n).id,
        "spec": spec,
        "report": report,
        "search": search,
    }


@pytest.mark.parametrize("name", list(TABLE))
def test_every_entry_point_gives_the_same_place(entry_points, name):
    answers = {point: ask(name) for point, ask in entry_points.items()}
    assert answers == dict.fromkeys(entry_points, TABLE[name])


@pytest.mark.parametrize("name", list(TYPED_ONLY))
def test_typed_names_answer_and_running_text_does_not(entry_points, name):
    for point in ("geocoder", "spec", "search"):
        assert entry_points[point](name) == TYPED_ONLY[name], point
    assert entry_points["report"](name) is None


def test_a_typo_is_an_answer_when_typed_and_a_refusal_in_a_file(entry_points):
    """One threshold, one policy: fuzzy matches answer a person, never a file."""
    from geo.errors import SpecError

    assert entry_points["geocoder"]("玉龙片") == "zone.yulong_area"
    with pytest.raises(SpecError, match="unknown place '玉龙片'; did you mean '玉龙片区'"):
        entry_points["spec"]("玉龙片")
    assert entry_points["report"]("玉龙片") is None
