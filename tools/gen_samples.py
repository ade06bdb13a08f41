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

# file -> (profile, record); the file name starts with the profile's version
TARGETS = {
    "hocbaso-1.0-primary.xml": ("hocbaso-1.0", samples.sample_primary_record),
    "hocbaso-1.0-secondary.xml": ("hocbaso-1.0", samples.sample_secondary_record),
    "hocbaso-1.1-foreign-student.xml": ("hocbaso-1.1", samples.sample_foreign_student_record),
}


def main(check=False):
    stale = []
    for name, (version, make) in TARGETS.items():
        path = ROOT / "data" / "samples" / name
        content = get_profile(version).build(make())
        if check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(name)
        else:
            path.write_bytes(content)
            print(f"data/samples/{name}: {len(content)} bytes")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
