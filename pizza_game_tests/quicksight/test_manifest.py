"""The manifest against the QuickSight user guide: its documented examples, and broken variants."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pizza_game.quicksight.manifest import ManifestError, build_manifest, validate_manifest

REPO = Path(__file__).resolve().parents[2]
# ../shared sits beside the checkout (main, CI); a git worktree under wt/ finds it one level higher.
SHARED = next(
    (base / "shared" for base in (REPO / "..", REPO / ".." / "..") if (base / "shared").is_dir()),
    REPO / ".." / "shared",
)
QUICKSIGHT_DOCS = SHARED / "data" / "quicksight"
DOCUMENTED = sorted(QUICKSIGHT_DOCS.glob("manifest_example*.json"))
REDSHIFT_EXAMPLE = QUICKSIGHT_DOCS / "manifest_example4_redshift_format_csv.json"
TEMPLATE = QUICKSIGHT_DOCS / "manifest_template_generic.json"
DASHBOARD = "s3://pizza-bucket/quicksight-ready/dashboard-data/2024/05/0{day}/2024050{day}_000000_dashboard_data.{ext}"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_the_documented_examples_are_all_there():
    assert len(DOCUMENTED) == 5


@pytest.mark.parametrize(
    "path", [p for p in DOCUMENTED if p != REDSHIFT_EXAMPLE], ids=lambda p: p.stem
)
def test_documented_quicksight_examples_validate(path):
    assert validate_manifest(load(path)) == []


def test_the_redshift_example_is_recognised_as_redshift_not_quicksight():
    assert validate_manifest(load(REDSHIFT_EXAMPLE)) == [
        "this is an Amazon Redshift manifest ('entries'), "
        "not the QuickSight format ('fileLocations')"
    ]


def test_the_generic_template_only_fails_on_its_placeholder_uris():
    problems = validate_manifest(load(TEMPLATE))
    assert len(problems) == 6
    assert all("is not an s3:// or https:// URI" in problem for problem in problems)


def test_json_manifest_carries_only_the_format():
    uris = [DASHBOARD.format(day=day, ext="json") for day in (3, 4)]
    assert build_manifest(uris) == {
        "fileLocations": [{"URIs": uris}],
        "globalUploadSettings": {"format": "JSON"},
    }


def test_csv_manifest_spells_settings_as_the_guide_does():
    uris = [DASHBOARD.format(day=4, ext="csv")]
    prefix = "s3://pizza-bucket/processed-data/correlation-analysis/"
    doc = build_manifest(uris, fmt="CSV", prefixes=[prefix], contains_header=False)
    assert doc == {
        "fileLocations": [{"URIs": uris}, {"URIPrefixes": [prefix]}],
        "globalUploadSettings": {
            "format": "CSV",
            "delimiter": ",",
            "textqualifier": '"',
            "containsHeader": "false",
        },
    }
    assert json.dumps(doc).count('"textqualifier": "\\""') == 1


def test_builder_refuses_more_than_a_thousand_files():
    uris = [f"s3://pizza-bucket/dashboard/{i:04d}.json" for i in range(1001)]
    with pytest.raises(ManifestError, match="1,001 files listed; QuickSight imports at most 1,000"):
        build_manifest(uris)
    assert build_manifest(uris[:1000])["fileLocations"][0]["URIs"] == uris[:1000]


def test_builder_refuses_a_file_over_one_gigabyte():
    small, big = DASHBOARD.format(day=3, ext="json"), DASHBOARD.format(day=4, ext="json")
    with pytest.raises(
        ManifestError, match=f"{big} is 1,000,000,001 bytes, over the 1,000,000,000-byte"
    ):
        build_manifest([small, big], sizes={small: 10, big: 1_000_000_001})


def test_builder_refuses_files_of_another_format_and_local_paths():
    with pytest.raises(ManifestError) as raised:
        build_manifest([DASHBOARD.format(day=4, ext="csv"), "file:///tmp/dashboard_data.json"])
    message = str(raised.value)
    assert "'file:///tmp/dashboard_data.json' is not an s3:// or https:// URI" in message
    assert "files mix extensions .csv, .json" in message
    assert ".csv files do not match format JSON" in message


def test_builder_refuses_an_empty_file_list():
    with pytest.raises(ManifestError, match="no URIs and no URIPrefixes"):
        build_manifest([])


def broken(change) -> dict:
    doc = copy.deepcopy(load(QUICKSIGHT_DOCS / "manifest_example1_two_csv_uris_textqualifier.json"))
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d.update(fileLocation=d.pop("fileLocations")),
            "unknown key 'fileLocation' in the manifest (did you mean 'fileLocations'?)",
        ),
        (
            lambda d: d["fileLocations"][0].update(URI=d["fileLocations"][0].pop("URIs")),
            "unknown key 'URI' in fileLocations[0] (did you mean 'URIs'?)",
        ),
        (
            lambda d: d["globalUploadSettings"].update(textQualifier="'"),
            "unknown key 'textQualifier' in globalUploadSettings (did you mean 'textqualifier'?)",
        ),
        (
            lambda d: d["globalUploadSettings"].update(delimiter="\t"),
            "delimiter '\\t' does not match format CSV (needs ',')",
        ),
        (
            lambda d: d["globalUploadSettings"].update(format="TSV"),
            "delimiter ',' does not match format TSV (needs '\\t')",
        ),
        (
            lambda d: d.update(fileLocations=[]),
            "fileLocations lists no URIs and no URIPrefixes; give at least one",
        ),
        (
            lambda d: d.update(fileLocations=[{"URIs": []}]),
            "fileLocations lists no URIs and no URIPrefixes; give at least one",
        ),
        (
            lambda d: d["fileLocations"][0]["URIs"].extend(f"s3://b/{i}.csv" for i in range(999)),
            "1,001 files listed; QuickSight imports at most 1,000 per manifest",
        ),
        (
            lambda d: d["globalUploadSettings"].update(format="PARQUET"),
            "format 'PARQUET' is not one of CSV, TSV, CLF, ELF, JSON",
        ),
        (
            lambda d: d["globalUploadSettings"].update(textqualifier="`"),
            "textqualifier '`' is not ', \" or empty",
        ),
        (
            lambda d: d["globalUploadSettings"].update(containsHeader=True),
            'containsHeader True is not the string "true" or "false"',
        ),
        (
            lambda d: d["globalUploadSettings"].update(format="JSON"),
            "format JSON takes no textqualifier",
        ),
        (
            lambda d: d["fileLocations"][0]["URIs"].append("s3://b/extra.json"),
            "files mix extensions .csv, .json; a manifest holds one format",
        ),
        (
            lambda d: d["fileLocations"][0].update(URIs="s3://b/a.csv"),
            "fileLocations[0].URIs must be a list of non-empty strings",
        ),
    ],
)
def test_each_broken_variant_names_its_problem(change, problem):
    assert problem in validate_manifest(broken(change))
