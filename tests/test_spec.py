"""Spec validation: typed, frozen, and every error names the file and the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from geo.errors import SpecError
from geo.model import LayerGroup, Status
from geo.paths import default_spec
from layers.spec import load_spec, parse_spec

GOOD = """
title = "t"
district = "罗湖区"
[[layers]]
name = "ports"
title = "Ports"
group = "Ports"
features = [{ place = "罗湖口岸", status = "planned" }]
"""


def test_the_shipped_spec_declares_the_2025_structure():
    spec = load_spec(default_spec())
    names = [layer.name for layer in spec.layers]
    assert names == [
        "structure",
        "ports",
        "metro_lines",
        "metro_stations",
        "roads",
        "zones",
        "low_altitude",
        "low_altitude_service",
        "context",
    ]
    structure = [f.place for f in spec.layers[0].features]
    assert structure == [
        "红岭金融总部发展轴",
        "口岸经济发展带",
        "大梧桐新兴产业带",
        "笋清科技创新组团",
        "商旅文融合发展组团",
        "蔡屋围-东门现代商贸组团",
    ]
    assert [f.place for f in spec.layers[1].features] == ["罗湖口岸", "文锦渡口岸", "莲塘口岸"]


def test_a_good_spec_is_typed_and_frozen():
    spec = parse_spec(GOOD, path="x.toml")
    assert spec.layers[0].group is LayerGroup.PORTS
    assert spec.layers[0].features[0].status is Status.PLANNED
    with pytest.raises(ValidationError, match="frozen"):
        spec.layers[0].features[0].place = "x"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace('status = "planned"', 'status = "soon"'), "layers[0].features[0].status"),
        (GOOD.replace('group = "Ports"', 'group = "Harbours"'), "layers[0].group"),
        (GOOD.replace('name = "ports"', 'name = "Ports!"'), "layers[0].name"),
        (GOOD.replace("features = [", "colour = 1\nfeatures = ["), "layers[0].colour"),
        (GOOD.replace('place = "罗湖口岸"', 'place = ""'), "layers[0].features[0].place"),
        (GOOD.replace('status = "planned"', 'style = { color = "red" }'), "features[0].style"),
        (GOOD.replace('district = "罗湖区"', ""), "district"),
        (GOOD + GOOD.split("\n", 3)[3], "layers"),  # the same layer twice
        (GOOD.replace("features = [{", "features = [{{"), "not valid TOML"),
    ],
)
def test_bad_specs_name_the_file_and_the_field(text, where):
    with pytest.raises(SpecError) as err:
        parse_spec(text, path="/somewhere/bad.toml")
    message = str(err.value)
    assert message.startswith("bad.toml: ")
    assert where in message
    assert "\n" not in message


def test_a_layer_needs_features_or_include():
    text = GOOD.replace('features = [{ place = "罗湖口岸", status = "planned" }]', "")
    with pytest.raises(SpecError, match=r"layers\[0\]: .*'features', 'include' or 'proposals'"):
        parse_spec(text, path="s.toml")


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes(GOOD.encode("gb18030"))
    with pytest.raises(SpecError, match=r"gbk.toml: not UTF-8"):
        load_spec(bad)


def test_every_spec_layer_name_is_a_valid_dxf_layer_name_for_ezdxf():
    """The spec skips ezdxf for names of its own alphabet: prove that on ezdxf itself, with the
    longest name and every character, under the longest status/precision suffix."""
    import string

    from ezdxf.lldxf.validator import is_valid_layer_name

    from geo.model import Precision
    from layers.export.dxf import cad_layer_name
    from layers.spec import SPEC_NAME_MAX, output_name_problem

    suffix = (Status.UNDER_CONSTRUCTION.value, max(Precision.values(), key=len))
    alphabet = string.ascii_lowercase + string.digits + "_"
    names = ["a" + alphabet[i : i + SPEC_NAME_MAX - 1] for i in range(len(alphabet))]
    names.append("a" * SPEC_NAME_MAX)
    for name in names:
        assert is_valid_layer_name(cad_layer_name(name, *suffix)), name
        assert output_name_problem(name) is None, name
    # outside the alphabet the DXF rule is still asked
    assert output_name_problem("bad|name") is not None
