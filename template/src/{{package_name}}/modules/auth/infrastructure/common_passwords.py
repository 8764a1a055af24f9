"""The 100,000 most common passwords and 20,000 more (see data/NOTICE), for the password
policy."""

import gzip
from pathlib import Path

LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"


def load_common_passwords() -> frozenset[str]:
    with gzip.open(LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())
