"""layers.styles: one table keyed by kind and status, modified by precision."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from layers.styles import KINDS, legend_entries, style_for

ALL_KINDS = [
    "district",
    "neighbour_district",
    "subdistrict",
    "community",
    "park",
    "hk_border",
    "axis",
    "belt",
    "cluster",
    "port",
    "metro_line",
    "metro_station",
    "metro_project",
    "road",
    "tunnel",
    "interchange",
    "zone",
    "project",
    "school",
    "greenway",
    "landmark",
    "landing_point",
    "air_route",
    "railway_station",
    "constraint",
    "service_area",
]


def test_every_kind_has_a_style():
    assert list(KINDS) == ALL_KINDS
    for kind in ALL_KINDS:
        s = style_for(kind, "existing", "located")
        assert {
            "color",
            "weight",
            "opacity",
            "fillColor",
            "fillOpacity",
            "dashArray",
            "radius",
        } <= set(s)


def test_existing_located_is_solid_planned_and_proposed_dashed():
    assert style_for("metro_line", "existing", "located")["dashArray"] is None
    planned = style_for("metro_line", "planned", "located")["dashArray"]
    proposed = style_for("metro_line", "proposed", "located")["dashArray"]
    assert planned
    assert proposed
    assert planned != proposed
    assert style_for("road", "under_construction", "surveyed")["dashArray"]


def test_schematic_is_dashed_and_translucent():
    located = style_for("cluster", "existing", "located")
    schematic = style_for("cluster", "existing", "schematic")
    assert located["dashArray"] is None
    assert schematic["dashArray"]
    assert schematic["fillOpacity"] < located["fillOpacity"]
    assert schematic["opacity"] < located["opacity"]


def test_unlocated_is_not_drawn():
    assert style_for("port", "planned", "unlocated") is None


@pytest.mark.parametrize(
    ("args", "valid"),
    [
        (("harbour", "existing", "located"), "district, neighbour_district"),
        (("port", "built", "located"), "existing, under_construction, planned, proposed"),
        (
            ("port", "existing", "exact"),
            "surveyed, located, approximate, within, schematic, unlocated",
        ),
    ],
)
def test_bad_values_list_the_choices(args, valid):
    with pytest.raises(ValueError, match=valid):
        style_for(*args)


def test_values_are_normalised():
    assert style_for(" Port ", "EXISTING", "Located") == style_for("port", "existing", "located")


def test_legend_entries_are_the_styles_present():
    gdf = gpd.GeoDataFrame(
        {
            "kind": ["port", "port", "metro_project", "metro_project", "zone", "school"],
            "status": ["existing", "existing", "planned", "planned", "existing", "planned"],
            "precision": [
                "located",
                "surveyed",
                "schematic",
                "located",
                "approximate",
                "unlocated",
            ],
        },
        geometry=[
            Point(114.11, 22.53),
            Point(114.15, 22.55),
            LineString([(114.1, 22.5), (114.2, 22.6)]),
            LineString([(114.1, 22.5), (114.2, 22.6)]),
            Polygon([(114.1, 22.5), (114.2, 22.5), (114.2, 22.6)]),
            None,
        ],
        crs=4326,
    )
    entries = legend_entries(gdf)
    keys = [(e["kind"], e["status"], e["schematic"]) for e in entries]
    assert keys == [
        ("port", "existing", False),
        ("metro_project", "planned", False),
        ("metro_project", "planned", True),
        ("zone", "existing", False),
    ]
    assert [e["shape"] for e in entries] == ["point", "line", "line", "area"]
    assert entries[2]["label_en"] == "Metro project (planned), schematic"
    assert entries[2]["style"]["dashArray"]


def test_legend_entries_accept_plain_rows():
    rows = [{"kind": "road", "status": "existing", "precision": "located"}]
    assert legend_entries(rows)[0]["shape"] == "line"  # from the kind when no geometry
    assert legend_entries([]) == []
