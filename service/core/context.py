"""The variables rule and target expressions see: profile, intake, date, market, basket."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import cel
import numpy as np

from .errors import Finding
from .expressions import Expression
from .profile import Line, Profile
from .vocabulary import INPUT_UNITS

SEASONS = {
    12: "winter",
    1: "winter",
    2: "winter",
    3: "spring",
    4: "spring",
    5: "spring",
    6: "summer",
    7: "summer",
    8: "summer",
    9: "autumn",
    10: "autumn",
    11: "autumn",
}


def expression_context(
    profile: Profile,
    intake: dict[str, float],
    today: dt.date,
    basket_skus: list[str],
    basket_categories: list[str],
) -> dict[str, Any]:
    return {
        "profile": profile.expression_view(),
        "intake": intake,
        "month": today.month,
        "season": SEASONS[today.month],
        "market": profile.country,
        "basket": {"skus": basket_skus, "categories": basket_categories},
    }


def compiled_context(context: dict[str, Any]) -> Any:
    """Convert the variables to CEL once per request (about 50 µs), then every expression
    evaluates against it in well under a microsecond instead of converting again each time."""
    return cel.Context(context)


_INTAKE_WORD = re.compile(r"\bintake\b")
_INTAKE_FIELD = re.compile(r"\bintake\.([A-Za-z_][A-Za-z0-9_]*)\b")


def intake_fields_read(sources: Iterable[str], keys: tuple[str, ...]) -> tuple[str, ...]:
    """The nutrient keys of `intake` that CEL texts `sources` can read: those they name as
    `intake.<key>`, when that is the only way any of them mentions the word `intake`; else
    every key (`intake` passed whole, indexed, in a string or a macro's variable: all of it may
    be read). A context whose `intake` holds only these answers every one of these texts as
    the whole would; converting 20 floats to CEL was half of building a context (issue 16)."""
    named: set[str] = set()
    for source in sources:
        whole = len(_INTAKE_WORD.findall(source))
        fields = _INTAKE_FIELD.findall(source)
        if whole != len(fields) or any(f not in keys for f in fields):
            return keys
        named.update(fields)
    return tuple(k for k in keys if k in named)


def context_intake(snapshot: Any, intake: np.ndarray) -> dict[str, float]:
    """`intake` as the expressions of `evaluate` see it: the nutrients any rule or target of
    the snapshot's rule set and reference can read (context.intake_fields_read), by key."""
    reads = context_reads(snapshot)
    values = intake.tolist()
    return {k: float(values[c]) for k, c in zip(reads.intake, reads.columns, strict=True)}


def profile_fields_read(sources: Iterable[str], known: Iterable[str]) -> frozenset[str] | None:
    """The fields of `profile` that CEL texts `sources` can read: those they name as
    `profile.<field>` (each one of the `known` fields), when that is the only way any of them
    mentions the word `profile`; else None, all of them (`profile` passed whole, indexed, a
    macro or function on it: as `intake_fields_read`)."""
    named: set[str] = set()
    known = frozenset(known)
    for source in sources:
        fields = _PROFILE_FIELD.findall(source)
        if len(_PROFILE_WORD.findall(source)) != len(fields) or not known.issuperset(fields):
            return None
        named.update(fields)
    return frozenset(named)


_PROFILE_WORD = re.compile(r"\bprofile\b")
_PROFILE_FIELD = re.compile(r"\bprofile\.([A-Za-z_][A-Za-z0-9_]*)\b")


@dataclass(frozen=True)
class ContextReads:
    """What the rule and target expressions of a snapshot can read of the context
    `expression_context` builds (derived from their CEL texts): the intake keys (and their
    columns), the profile fields (None: all) and the variables their texts name at all. A
    context holding only these answers every one of them as the whole context does;
    converting what none reads to CEL was about a fifth of building it (issue 16)."""

    intake: tuple[str, ...]
    columns: list[int]
    profile: frozenset[str] | None
    words: frozenset[str]  # every identifier of the texts: a variable none names is not read

    def pruned(self, context: dict[str, Any]) -> dict[str, Any]:
        """`context` without the variables and profile fields no expression can read."""
        out = {name: value for name, value in context.items() if name in self.words}
        if self.profile is not None and "profile" in out:
            fields = self.profile
            out["profile"] = {k: v for k, v in out["profile"].items() if k in fields}
        return out


def context_reads(snapshot: Any) -> ContextReads:
    """`ContextReads` of the snapshot's rule set and reference, once per both."""
    rules, reference = snapshot.rules, snapshot.reference
    key = (id(rules), id(reference))
    known = _READ.get(key)
    if known is None or known[0] is not rules or known[1] is not reference:
        sources = [r.when.source for r in rules.rules]
        for target in reference.targets:
            sources.append(target.when.source)
            if isinstance(target.amount, Expression):
                sources.append(target.amount.source)
        keys = reference.nutrients.keys
        read = intake_fields_read(sources, keys)
        words = frozenset(_WORD.findall("\n".join(sources)))
        fields = profile_fields_read(sources, (f.name for f in dataclasses.fields(Profile)))
        reads = ContextReads(read, [keys.index(k) for k in read], fields, words)
        if len(_READ) > 64:
            _READ.clear()
        known = _READ[key] = (rules, reference, reads)
    return known[2]


_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
# (ids of a rule set and a reference) -> (both, what their expressions read)
_READ: dict[tuple[int, int], tuple[Any, Any, ContextReads]] = {}


def probe_contexts(nutrient_keys: tuple[str, ...], categories: list[str]) -> list[dict[str, Any]]:
    """Sample contexts used at load time to find unknown fields and type errors in expressions.

    The first has every optional field set, so an expression that fails on it names a field that
    does not exist or mixes types; the others catch conditions that only fail on some profiles.
    """
    full = Profile(
        age=40,
        sex="female",
        life_stage="pregnant",
        diet="vegan",
        allergies=("fish",),
        medications=("levothyroxine",),
        conditions=("osteopenia",),
        sun_exposure="low",
        skin_type=5,
        country="NL",
        serum_25ohd_nmol_l=40.0,
        goals=("bones",),
        current_supplements=(Line(label="x", nutrients={"vitamin_d_ug": 10.0}),),
        higher_dose_advised=(("folic_acid_ug", 1000.0),),
    )
    minimal = Profile(age=8, country="DE")
    senior = Profile(age=80, sex="male", diet="omnivore", sun_exposure="high", country="BE")
    intake = {k: 0.0 for k in nutrient_keys}
    days = [dt.date(2026, 1, 15), dt.date(2026, 7, 15)]
    contexts = []
    for profile in (full, minimal, senior):
        for day in days:
            basket = categories[:1]
            contexts.append(expression_context(profile, dict(intake), day, ["X-1"], basket))
    return contexts


def compiled_probes(
    nutrient_keys: tuple[str, ...], categories: list[str]
) -> list[tuple[dict[str, Any], Any]]:
    """The probe contexts as (dict, compiled) pairs: compiled once per load, not per rule."""
    return [(p, compiled_context(p)) for p in probe_contexts(nutrient_keys, categories)]


# The maps of `profile` that hold only the keys the request gives (Profile.expression_view).
OPTIONAL_MAPS = ("higher_dose_advised",)
_UNKNOWN_FIELD = re.compile(r"unknown field '([^']+)'")


def guard_optional_keys(
    findings: list[Finding], source: str, nutrient_keys: tuple[str, ...]
) -> list[Finding]:
    """A condition's findings, where one names a key of an optional map that a request may
    give (`profile.higher_dose_advised.vitamin_d_ug`) saying that it is only present when
    given and how to guard it. Session 18 review F5: the probes' full profile gives a doctor's
    folic acid only, so lint said "unknown field 'vitamin_d_ug'; did you mean 'vitamin_d_ug'?".
    The map itself is guarded too: it is absent from most profiles, and an error under `!`
    makes the whole condition false (Expression.holds)."""
    out = []
    for finding in findings:
        name = _UNKNOWN_FIELD.search(finding.message)
        path = _optional_path(source, name[1], nutrient_keys) if name else None
        if name is None or path is None:
            out.append(finding)
            continue
        parent = path.rsplit(".", 1)[0]
        prefix = finding.message[: name.start()]
        message = (
            f"{prefix}unknown field {name[1]!r}: {path} is only present when the request gives "
            f"it; guard it: has({parent}) && has({path}) && ..."
        )
        out.append(replace(finding, message=message))
    return out


def _optional_path(source: str, name: str, nutrient_keys: tuple[str, ...]) -> str | None:
    """`profile.<map>.<name>` when `source` reads `name` from an optional map that may hold it."""
    if name not in nutrient_keys and name not in INPUT_UNITS:
        return None
    key = re.escape(name)
    for field in OPTIONAL_MAPS:
        dotted = rf"\bprofile\.{field}(?:\.{key}\b|\[\s*['\"]{key}['\"]\s*\])"
        if re.search(dotted, source):
            return f"profile.{field}.{name}"
    return None
