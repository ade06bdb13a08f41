#!/usr/bin/env python3
"""Write the sample record documents in data/samples/ from hocbaso.samples (unsigned).

`--check` fails when the files are stale (a test runs it).
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hocbaso import samples  # noqa: E402
from hocbaso.xmlprofile import get_profile  # noqa: E402

TARGETS = {
    "hocbaso-1.0-primary.xml": samples.sample_primary_record,
    "hocbaso-1.0-secondary.xml": samples.sample_secondary_record,
}


def main(check=False):
    profile = get_profile("hocbaso-1.0")
    stale = []
    for name, make in TARGETS.items():
        path = ROOT / "data" / "samples" / name
        content = profile.build(make())
        if check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(name)
        else:
            path.write_bytes(content)
            print(f"data/samples/{name}: {len(content)} bytes")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
