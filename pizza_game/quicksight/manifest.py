"""The Amazon QuickSight S3 manifest: which files a dataset imports, and how to parse them.

Format: QuickSight user guide, "Supported formats for Amazon S3 manifest files" (the QuickSight
format, not the Amazon Redshift "entries" format). Limits: at most 1,000 files per manifest and,
per the guide's earlier wording, no file over 1 GB.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

Format = Literal["CSV", "TSV", "CLF", "ELF", "JSON"]

FORMATS: tuple[str, ...] = ("CSV", "TSV", "CLF", "ELF", "JSON")
EXTENSIONS: dict[str, str] = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".clf": "CLF",
    ".elf": "ELF",
    ".json": "JSON",
}
DELIMITERS: dict[str, str] = {"CSV": ",", "TSV": "\t"}
TEXT_QUALIFIERS = ("'", '"', "")
MAX_FILES = 1000
MAX_FILE_BYTES = 1_000_000_000

TOP_KEYS = ("fileLocations", "globalUploadSettings")
LOCATION_KEYS = ("URIs", "URIPrefixes")
SETTING_KEYS = ("format", "delimiter", "textqualifier", "containsHeader")
URI_SCHEMES = ("s3", "https")
# A local run writes the same manifest over file:// URIs: same structure, not importable by QuickSight.
LOCAL_SCHEMES = ("file",)


class ManifestError(ValueError):
    """The files cannot be described by one valid manifest; the message lists every problem."""


def build_manifest(
    uris: Iterable[str],
    *,
    fmt: Format = "JSON",
    prefixes: Iterable[str] = (),
    sizes: Mapping[str, int] | None = None,
    textqualifier: str = '"',
    contains_header: bool = True,
    schemes: tuple[str, ...] = URI_SCHEMES,
) -> dict[str, Any]:
    """A QuickSight manifest listing ``uris`` (files) and ``prefixes`` (folders) of one format.

    ``sizes`` maps a URI to its size in bytes; a file over 1 GB, more than 1,000 files, or any
    other break of the format raises ManifestError instead of writing a manifest QuickSight rejects.
    """
    uris, prefixes = list(uris), list(prefixes)
    locations: list[dict[str, list[str]]] = []
    if uris:
        locations.append({"URIs": uris})
    if prefixes:
        locations.append({"URIPrefixes": prefixes})
    settings: dict[str, str] = {"format": fmt}
    if fmt in DELIMITERS:
        settings |= {
            "delimiter": DELIMITERS[fmt],
            "textqualifier": textqualifier,
            "containsHeader": "true" if contains_header else "false",
        }
    doc = {"fileLocations": locations, "globalUploadSettings": settings}
    problems = validate_manifest(doc, schemes=schemes)
    sizes = sizes or {}
    problems += [
        f"{uri} is {sizes[uri]:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit per file"
        for uri in uris
        if sizes.get(uri, 0) > MAX_FILE_BYTES
    ]
    if problems:
        raise ManifestError("cannot build the QuickSight manifest: " + "; ".join(problems))
    return doc


def _unknown_keys(found: Iterable[str], allowed: tuple[str, ...], where: str) -> list[str]:
    problems = []
    for key in found:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
            problems.append(f"unknown key {key!r} in {where} ({hint})")
    return problems


def _locations(doc: dict[str, Any], schemes: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """The URIs, the prefixes, and the problems of ``fileLocations``."""
    uris: list[str] = []
    prefixes: list[str] = []
    problems: list[str] = []
    locations = doc.get("fileLocations")
    if not isinstance(locations, list):
        return uris, prefixes, ["fileLocations is missing or not a list"]
    for index, location in enumerate(locations):
        where = f"fileLocations[{index}]"
        if not isinstance(location, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += _unknown_keys(location, LOCATION_KEYS, where)
        for key, bucket in (("URIs", uris), ("URIPrefixes", prefixes)):
            values = location.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                problems.append(f"{where}.{key} must be a list of non-empty strings")
                continue
            for value in values:
                if urlsplit(value).scheme not in schemes:
                    allowed = " or ".join(f"{s}://" for s in schemes)
                    problems.append(f"{where}.{key}: {value!r} is not an {allowed} URI")
            bucket.extend(values)
    if not uris and not prefixes:
        problems.append("fileLocations lists no URIs and no URIPrefixes; give at least one")
    return uris, prefixes, problems


def _settings(doc: dict[str, Any]) -> tuple[str, list[str]]:
    """The declared (or default) format and the problems of ``globalUploadSettings``."""
    settings = doc.get("globalUploadSettings", {})
    if not isinstance(settings, dict):
        return "CSV", ["globalUploadSettings is not an object"]
    problems = _unknown_keys(settings, SETTING_KEYS, "globalUploadSettings")
    fmt = settings.get("format", "CSV")
    if fmt not in FORMATS:
        return "CSV", [*problems, f"format {fmt!r} is not one of {', '.join(FORMATS)}"]
    if fmt == "JSON":
        extra = [key for key in ("delimiter", "textqualifier", "containsHeader") if key in settings]
        problems += [f"format JSON takes no {key}" for key in extra]
    if fmt in DELIMITERS:
        delimiter = settings.get("delimiter", ",")
        if delimiter != DELIMITERS[fmt]:
            problems.append(
                f"delimiter {delimiter!r} does not match format {fmt} (needs {DELIMITERS[fmt]!r})"
            )
        if settings.get("textqualifier", '"') not in TEXT_QUALIFIERS:
            problems.append(f"textqualifier {settings['textqualifier']!r} is not ', \" or empty")
        if settings.get("containsHeader", "true") not in ("true", "false"):
            problems.append(
                f'containsHeader {settings["containsHeader"]!r} is not the string "true" or "false"'
            )
    return fmt, problems


def _file_formats(uris: list[str], fmt: str) -> list[str]:
    extensions = sorted({PurePosixPath(urlsplit(uri).path).suffix.lower() for uri in uris})
    problems = []
    if len(extensions) > 1:
        listed = ", ".join(ext or "(none)" for ext in extensions)
        problems.append(f"files mix extensions {listed}; a manifest holds one format")
    problems += [
        f"{ext} files do not match format {fmt}"
        for ext in extensions
        if EXTENSIONS.get(ext, fmt) != fmt
    ]
    return problems


def validate_manifest(doc: Any, *, schemes: tuple[str, ...] = URI_SCHEMES) -> list[str]:
    """Every way ``doc`` breaks the QuickSight manifest format or limits; empty when valid."""
    if not isinstance(doc, dict):
        return ["a manifest is a JSON object"]
    if "entries" in doc and "fileLocations" not in doc:
        return [
            "this is an Amazon Redshift manifest ('entries'), "
            "not the QuickSight format ('fileLocations')"
        ]
    problems = _unknown_keys(doc, TOP_KEYS, "the manifest")
    uris, _, location_problems = _locations(doc, schemes)
    fmt, setting_problems = _settings(doc)
    problems += location_problems + setting_problems + _file_formats(uris, fmt)
    if len(uris) > MAX_FILES:
        problems.append(
            f"{len(uris):,} files listed; QuickSight imports at most {MAX_FILES:,} per manifest"
        )
    return problems
