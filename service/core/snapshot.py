"""One consistent, immutable set of loaded data: reference, catalog and rules, with versions."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .advice_config import check_advice
from .canary import check_answers
from .catalog import Catalog, catalog_from_document, file_version, load_catalog
from .errors import DataFileError, Finding
from .markets import load_markets
from .markets import use as use_markets
from .placements.config import (
    PlacementConfig,
    check_rule_placements,
    load_placements,
    placements_path,
)
from .reference import Reference, _display
from .reference_load import load_reference
from .regimen_texts import check_regimen_texts, texts_path
from .required_rules import required_example_findings, required_rule_findings
from .rules import RuleSet, load_rules, rule_files
from .safety import check_guarantee_coverage

if TYPE_CHECKING:
    from .learned import Learning

TRANSPARENT_MODEL = "transparent"


@dataclass(frozen=True)
class DataPaths:
    catalog: Path
    rules: Path  # holds reference/ and merchandising/

    @property
    def reference_dir(self) -> Path:
        return self.rules / "reference"

    @property
    def merchandising_dir(self) -> Path:
        return self.rules / "merchandising"

    @property
    def placements_file(self) -> Path:
        return placements_path(self.rules)

    def watched_files(self) -> list[Path]:
        reference = sorted(self.reference_dir.glob("*.yaml"))
        return [
            self.catalog,
            *reference,
            *rule_files(self.merchandising_dir),
            self.placements_file,
            self.rules / "refills.yaml",  # review 19 F3: a refused edit shows in /readyz
        ]

    def stamp(self) -> tuple:
        """Changes whenever a watched file is added, removed or modified."""
        out = []
        for path in self.watched_files():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(out)


@dataclass(frozen=True)
class Snapshot:
    reference: Reference
    catalog: Catalog
    rules: RuleSet
    rules_version: str
    model_version: str
    loaded_at: float = field(default_factory=time.time)
    model: Any = None  # the promoted model (service/learning); None: the transparent score
    learning: Learning | None = None  # how a model ranks and explains (core/learned.py)
    # (experiment id, variant id) when this is an A/B test's arm (service/experiments): answers
    # ranked with it name the arm, and its fingerprint differs from every other arm's
    experiment: tuple[str, str] | None = None
    placements: PlacementConfig = field(default_factory=PlacementConfig)

    def with_model(self, model: Any, learning: Learning | None = None) -> Snapshot:
        """The same data ranked by `model` (None: the transparent score) through `learning`
        (default: this snapshot's; kept without a model too, so that an experiment's arm can
        bring one); a new fingerprint when the model changes."""
        learning = learning if learning is not None else self.learning
        if model is None:
            return self if learning is self.learning else replace(self, learning=learning)
        return replace(self, model=model, model_version=model.version, learning=learning)

    @property
    def versions(self) -> dict[str, str]:
        return {
            "catalog": self.catalog.version,
            "rules": self.rules_version,
            "model": self.model_version,
        }

    @cached_property  # read on every cache hit; a snapshot never changes (`replace` makes anew)
    def fingerprint(self) -> str:
        text = "|".join(f"{k}={v}" for k, v in sorted(self.versions.items()))
        if self.experiment is not None:
            text += "|experiment=" + ".".join(self.experiment)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _wording(
    paths: DataPaths, reference: Reference, catalog: Catalog, rules: RuleSet
) -> list[Finding]:
    """Reasons with health wording outside an authorised claim (contract guarantee 7: only
    authorised wording, whatever the rule files say; review s43c 3: "Zinc keeps you healthy
    all winter long" was a lint warning, and served), as `rules lint` finds them."""
    from .lint_locate import Locator
    from .lint_wording import claim_wording, health_wording

    if not (paths.rules / "lint" / "health_wording.yaml").exists():
        return []  # a data set without lint words (tests' minimal copies): lint says so
    locator = Locator(list(rules.files))
    return claim_wording(rules, reference, catalog, health_wording(paths), locator)


def load_snapshot(
    paths: DataPaths, catalog_document: dict | None = None, check_refills: bool = True
) -> Snapshot:
    """Load everything or nothing: any finding refuses the whole snapshot.

    `catalog_document` replaces the catalog file with an in-memory document (benchmarks).
    `check_refills` False: rules/refills.yaml is not checked (the first load of a service,
    which starts without its refills rather than not at all; `Recommender`).
    """
    reference = load_reference(paths.reference_dir)
    coverage = check_guarantee_coverage(
        reference, _display(paths.reference_dir / "interactions.yaml")
    )
    coverage += check_advice(reference)
    coverage += check_regimen_texts(reference)
    if coverage:  # each once: the regimen texts' check reads the advice's configuration too
        raise DataFileError(list({str(f): f for f in coverage}.values()))
    if catalog_document is None:
        catalog = load_catalog(paths.catalog, reference)
    else:
        version = hashlib.sha256(repr(len(catalog_document["products"])).encode()).hexdigest()
        catalog = catalog_from_document(catalog_document, reference, "<memory>", version[:12])
    rules = load_rules(paths.merchandising_dir, reference, catalog)
    from .placements.strategies import STRATEGIES  # strategies import the ranking

    placements = load_placements(
        paths.placements_file, reference, [r.id for r in rules.rules], STRATEGIES
    )
    problems = check_rule_placements(rules.rules, placements)
    problems += required_rule_findings(rules, paths.reference_dir, paths.merchandising_dir)
    problems += _wording(paths, reference, catalog, rules)
    if problems:
        raise DataFileError(problems)
    # checked with the rest (review 19 F3: a refused edit was only logged; review 20 F4: so is
    # a missing file, whose endpoints answer 503)
    refills = paths.rules / "refills.yaml"
    if check_refills:
        from .refills.settings import load_refill_config

        load_refill_config(refills, reference)
    # the regimen texts count too: an edit of them is a new rules version; so does the markets
    # file, which decides what a request may name (review 21 H1)
    markets_file = paths.reference_dir / "markets.yaml"
    extra = [markets_file] if markets_file.exists() else []
    reference_version = file_version([*reference.files, texts_path(reference), *extra])
    rules_text = f"{reference_version}:{rules.version}"
    if paths.placements_file.exists():  # so is the placements file (issue 11)
        rules_text += ":" + file_version([paths.placements_file])
    rules_version = hashlib.sha256(rules_text.encode()).hexdigest()[:12]
    scoring_version = file_version([paths.reference_dir / "scoring.yaml"])[:8]
    snapshot = Snapshot(
        reference,
        catalog,
        rules,
        rules_version,
        f"{TRANSPARENT_MODEL}-{scoring_version}",
        placements=placements,
    )
    markets = load_markets(paths.reference_dir)
    check_answers(snapshot, _display(paths.merchandising_dir), markets.served)  # review s34b F3
    required = required_example_findings(snapshot, paths.reference_dir)  # review s39c F1
    if required:
        raise DataFileError(required)
    use_markets(markets)  # checked above: requests see this one now
    return snapshot
