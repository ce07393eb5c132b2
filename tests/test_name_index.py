"""The one name index: ``lookup`` answers what ``resolve`` answers under the record policy."""

from __future__ import annotations

import pytest

from geo.errors import GeocodeError
from geo.gazetteer import load_gazetteer
from geo.name_index import NameIndex, Policy


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.from_frame(load_gazetteer())


@pytest.mark.parametrize(
    "name", ["罗沙路", "清水河三路", "新秀立交桥", "24号线北延", "深圳地铁24号线北延", "莲塘口岸"]
)
def test_lookup_is_resolve_under_the_record_policy(index: NameIndex, name: str) -> None:
    found = index.lookup(name)
    assert found
    assert found[0] == index.resolve(name, policy=Policy.RECORD)


@pytest.mark.parametrize("name", ["春风路", "深南路", "东门中路", "龙过水", "翠竹路"])
def test_lookup_refuses_what_resolve_refuses(index: NameIndex, name: str) -> None:
    assert index.lookup(name) == []
    with pytest.raises(GeocodeError):
        index.resolve(name, policy=Policy.RECORD)


def test_lookup_filters_kinds(index: NameIndex) -> None:
    assert index.lookup("罗沙路", kinds=["tunnel"]) == []
    assert index.lookup("罗沙路", kinds=["road"])[0].id == "road.luosha_upgrade"
