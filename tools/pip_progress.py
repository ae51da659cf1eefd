"""Progress of `pip install` on one line: `make setup` pipes pip's output through this.

Shows how many packages pip has collected and which, then that it installs them; prints every
error line as it comes, and pip's last lines when it did not finish (its exit code is kept by
`set -o pipefail` in the Makefile). Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import sys
from collections import deque

STEPS = ("Collecting ", "Requirement already satisfied: ", "Obtaining ")


def packages(count: int) -> str:
    return f"{count} package{'' if count == 1 else 's'}"


def main() -> int:
    tty = sys.stdout.isatty()
    collected = 0
    tail: deque[str] = deque(maxlen=25)
    done = False
    last = ""
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        tail.append(line)
        if line.startswith("ERROR") or line.lstrip().lower().startswith("error:"):
            print(f"\n{line}" if tty else line, flush=True)
            continue
        if line.startswith(STEPS):
            collected += 1
            name = line.split(": ", 1)[-1] if ": " in line else line.split(" ", 1)[1]
            last = f"  collected {packages(collected)} ({name.split()[0][:40]})"
        elif line.startswith("Installing collected packages"):
            last = f"  installing {packages(line.count(',') + 1)}"
        elif line.startswith("Successfully installed"):
            last = f"  installed {packages(len(line.split()) - 2)}"
            done = True
        else:
            continue
        if tty:
            print(f"\r{last:<78}", end="", flush=True)
    if tty and last:
        print(flush=True)
    elif last:
        print(last, flush=True)
    if not done and collected and any("error" in t.lower() for t in tail):
        print("\n".join(tail), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
