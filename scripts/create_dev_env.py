"""Write .env from .env.example with a fresh development server secret.

Does nothing when .env already exists. Run by ``make run`` on first start.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

SECRET_LINE = "ZEGO_SERVER_SECRET="


def main(root: Path) -> int:
    target = root / ".env"
    if target.exists():
        return 0
    lines = (root / ".env.example").read_text().splitlines(keepends=True)
    secret = secrets.token_hex(16)
    text = "".join(
        f"{SECRET_LINE}{secret}\n" if line.strip() == SECRET_LINE else line
        for line in lines
    )
    temporary = target.with_name(".env.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, target)
    print("created .env with development credentials", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent.parent))
