"""Digests of every object a fixed run writes: compare them before and after a refactor.

    python scripts/output_digests.py > before.json        # on the old code
    python scripts/output_digests.py --compare before.json  # on the new code: lists what changed

The run is the `pizza-game` command itself (mock data, a fixed seed and range, a fresh data root and an
ephemeral instance), so the comparison holds across any reshuffle of the code behind it. Lineage
records are left out: there is one per publish, named by the run, by design.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LINEAGE = "quicksight-ready/metadata/lineage/"


def digests(start: str, end: str, seed: int) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "data"
        env = {**os.environ, "DAGSTER_HOME": str(Path(folder) / "dagster")}
        (Path(folder) / "dagster").mkdir()
        command = [sys.executable, "-m", "pizza_game.cli", "run", "--start", start, "--end", end,
                   "--seed", str(seed), "--data-dir", str(root), "--quiet", "--ephemeral-instance"]
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        return {
            # Manifests name the data root: the digest is of the bytes with the root's URI replaced.
            path.relative_to(root).as_posix(): hashlib.sha256(
                path.read_bytes().replace(root.as_uri().encode(), b"file:///DATA")
            ).hexdigest()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
            and not path.relative_to(root).as_posix().startswith(LINEAGE)
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2024-09-01")
    parser.add_argument("--end", default="2024-10-12")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="digests written earlier by this script")
    args = parser.parse_args()
    got = digests(args.start, args.end, args.seed)
    if not args.compare:
        print(json.dumps(got, indent=1, sort_keys=True))
        return 0
    before = json.loads(args.compare.read_text())
    added, removed = sorted(set(got) - set(before)), sorted(set(before) - set(got))
    changed = sorted(k for k in set(got) & set(before) if got[k] != before[k])
    for label, keys in (("added", added), ("removed", removed), ("changed", changed)):
        for key in keys:
            print(f"{label}: {key}")
    print(f"{len(got)} objects: {len(added)} added, {len(removed)} removed, {len(changed)} changed")
    return 1 if added or removed or changed else 0


if __name__ == "__main__":
    sys.exit(main())
