"""Which `country` a request may name (rules/reference/markets.yaml, session 4 review F8).

`countries`: every officially assigned ISO 3166-1 alpha-2 code (the contract: `country` is ISO
3166 alpha-2). `served`: the markets with their own advice, law and food survey; a real country
that is not served gets the cautious defaults. A code that names no country (XX, ZZ) is refused,
and the error names the served markets, read from the same file.

The file is the one of the rules directory a snapshot was last loaded from (the deployment's
DOSEWISE_RULES_DIR; advice_config.check_advice refuses a broken file with the rest of the
snapshot), as it was when that snapshot loaded, else the repository's: the request schemas check
a country before any snapshot is at hand. A file broken, emptied or removed later changes
nothing until a snapshot loads again (review 21 H1: every POST answered 500 while the reload
was refused, and the last good rules kept serving all else).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import DataFileError, Finding
from .yamlfile import load_yaml

MARKETS_FILE = Path(__file__).resolve().parents[2] / "rules" / "reference" / "markets.yaml"


@dataclass(frozen=True)
class Markets:
    served: tuple[str, ...]
    countries: frozenset[str]
    # review s5 S12: life stage -> (min_age, max_age) a profile naming it must be within
    life_stage_ages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def life_stage_problem(self, life_stage: str, sex: str | None, age: int | None) -> str | None:
        """Why a profile cannot be in this life stage (None: it can, or the stage is `none`)."""
        bounds = self.life_stage_ages.get(life_stage)
        if bounds is None:
            return None
        if sex == "male":
            return f"life_stage {life_stage!r} does not go with sex 'male'"
        low, high = bounds
        if age is not None and not low <= age <= high:
            return (
                f"life_stage {life_stage!r} goes with an age of {low} to {high}, not {age}: "
                "check the profile (a child's or another person's?)"
            )
        return None

    def problem(self, country: str) -> str | None:
        """Why `country` is refused (None: a country; any letter case)."""
        if country.upper() in self.countries:
            return None
        return (
            f"{country!r} is not an ISO 3166-1 alpha-2 country code; markets served with their "
            f"own advice and law: {', '.join(self.served)} (another real country gets the "
            "cautious EU defaults)"
        )


_SERVED: list[Markets | None] = [None]


def load_markets(directory: Path) -> Markets:
    """The checked markets.yaml of this reference directory; DataFileError with file and line
    when it is broken or missing (a removed file fell back to the repository's, review 21 H1)."""
    path = directory / "markets.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load(path, stamp)


def use(found: Markets) -> None:
    """Check requests against `found` from now on (a snapshot that loaded: snapshot.py)."""
    _SERVED[0] = found


def use_directory(directory: Path) -> None:
    """Check requests against this reference directory's markets file from now on."""
    use(load_markets(directory))


def markets() -> Markets:
    """The markets requests are checked against: those of the last snapshot that loaded."""
    found = _SERVED[0]
    if found is None:
        found = _SERVED[0] = load_markets(MARKETS_FILE.parent)
    return found


@cache
def _load(path: Path, stamp: int) -> Markets:
    data = load_yaml(path, str(path))
    served = tuple(str(m) for m in (data or {}).get("served") or ())
    countries = frozenset(str(c) for c in (data or {}).get("countries") or ())
    findings = []
    if not served or not countries or not set(served) <= countries:
        findings.append(Finding(str(path), 1, "needs `served` markets, all in `countries`"))
    if not isinstance((data or {}).get("source"), str):
        findings.append(Finding(str(path), 1, "needs a `source` note"))
    ages: dict[str, tuple[int, int]] = {}
    for stage, bounds in ((data or {}).get("life_stage_ages") or {}).items():
        try:
            ages[str(stage)] = (int(bounds["min_age"]), int(bounds["max_age"]))
        except (KeyError, TypeError, ValueError):
            findings.append(Finding(str(path), 1, f"life_stage_ages.{stage}: min_age, max_age"))
    if ages and not isinstance((data or {}).get("life_stage_ages_source"), str):
        findings.append(Finding(str(path), 1, "life_stage_ages needs life_stage_ages_source"))
    if findings:
        raise DataFileError(findings)
    return Markets(served, countries, ages)
