"""Make sure Debian's Chromium is there for the browser test of the preview page.

Installs the `chromium` package with apt-get when it is missing and we are root; otherwise
says what to install. Playwright drives this browser (no browser download of its own).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CANDIDATES = ("chromium", "chromium-browser")


def find() -> str | None:
    return next((shutil.which(name) for name in CANDIDATES if shutil.which(name)), None)


def main() -> int:
    if find():
        return 0
    if os.geteuid() != 0:
        print(
            "ensure_browser: Chromium is missing; install it (Debian: apt-get install "
            "chromium) to run the preview page's browser test",
            file=sys.stderr,
        )
        return 1
    print("ensure_browser: installing chromium with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return 0 if find() else 1


if __name__ == "__main__":
    sys.exit(main())
