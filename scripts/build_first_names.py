"""Regenerate handlers/privacy/data/first_names_no.txt: the most common first names in Norway, one per line.

Run by a developer, not at run time: `pip install names-dataset && python scripts/build_first_names.py`.
names-dataset needs about 2 GB of memory and 20 seconds to load, far too much for a chat-bot process, so the
bot reads the small file this script writes. A list of first names is not personal data about anyone.
"""

from __future__ import annotations

import re
from pathlib import Path

TOP_PER_GENDER = 1500
OUT = Path(__file__).resolve().parent.parent / "handlers" / "data" / "first_names_no.txt"
_PART = re.compile(r"[^\W\d_]{2,}")
# Entries in the data set that are ordinary words or titles, not first names.
NOT_NAMES = frozenset("familien privat indre uvis an van fru doski bitte tobben".split())


def main() -> None:
    """Write the sorted, de-duplicated single first names (compound names split into their parts)."""
    from names_dataset import NameDataset

    top = NameDataset().get_top_names(n=TOP_PER_GENDER, country_alpha2="NO")["NO"]
    names = {part.casefold() for name in top["M"] + top["F"] for part in _PART.findall(name)} - NOT_NAMES
    OUT.write_text(
        "# Most common first names in Norway (names-dataset, top "
        f"{TOP_PER_GENDER} per gender), case-folded. Regenerate with scripts/build_first_names.py.\n"
        + "\n".join(sorted(names))
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(names)} names to {OUT}")


if __name__ == "__main__":
    main()
