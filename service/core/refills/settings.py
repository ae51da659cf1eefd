"""The refill settings and texts: rules/refills.yaml, checked on load, reloaded when it
changes, the last good one serving when an edit is refused."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import RAISE, Schema, fields, validate

from ..errors import DataFileError, Finding
from ..numbers import localized
from ..reference import Reference, _display
from ..validation import Localized as _Localized
from ..validation import WholeNumber, schema_findings
from ..vocabulary import LOCALES
from ..yamlfile import load_yaml

CONFIG_FILE = "refills.yaml"


# the texts that may have an interaction's own words, `<text>.<interaction id>` (read by
# render.why_texts and render._left_out_advice; review 24 #3: a variant of another text would
# never be shown)
VARIANT_TEXTS = frozenset(
    {"why_interaction", "why_besides_interaction", "notice_not_reordered_interaction"}
)

# the texts that may name her own life stage, `<text>.<stage>` (reference.own_stage; read by
# render.why_texts; re-review s40a F9: a woman planning a pregnancy read "during pregnancy or
# breastfeeding")
STAGE_TEXTS = frozenset(
    {
        "why_life_stage",
        "why_life_stage_maximum",
        "why_life_stage_maximum_total",
        "why_besides_life_stage",
        "why_besides_life_stage_maximum",
    }
)
STAGES = frozenset({"pregnant", "breastfeeding", "planning"})

# text key -> the placeholders the code fills in
TEXTS: dict[str, tuple[str, ...]] = {
    "reason_runs_out": ("name", "date"),
    "reason_ran_out": ("name", "date"),
    "reason_replaces": ("name",),
    "reason_replaces_stock": ("name",),  # re-review 22b M5: refills.render.replaces_key
    "reason_replaces_beside": ("name",),  # re-review s40a F7: only with what is taken besides
    "reason_adds": ("amount", "unit", "nutrient", "name"),
    "reason_bought_before": ("date",),
    "reason_stop_lasting": ("name", "nutrients"),  # session 18: the only source goes on
    "why_stopped_for": ("name",),
    "reason_stop_unsuited": ("name", "nutrients"),  # review s39d F1: not suited to the life stage
    "why_stopped_for_unsuited": ("name", "nutrients"),
    "notice_stopped_unsuited": (),
    "reason_stop_joined": ("name",),  # s41b F4: replaced together with the product of the reorder
    "why_stopped_joined": ("name",),
    "notice_not_reordered": ("name",),
    "notice_not_reordered_above_limit": ("name",),  # review 17 RF1
    "notice_not_reordered_life_stage": ("name",),  # review 22 F3
    "notice_not_needed": ("name",),
    "notice_not_needed_no_advice": ("name",),
    "why_covered": (),
    "why_pregnancy_product": (),  # review s28 F3: a rule's `taken` words
    "why_already_covered": ("nutrients",),
    "why_already_covered_serum": ("nutrients",),  # re-review 23r #3
    "why_upper_limit": ("nutrients",),
    "why_upper_limit_alone": ("nutrients",),
    "why_upper_limit_food": ("nutrients",),
    "why_upper_limit_taken_food": ("nutrients",),
    "why_besides_life_stage_maximum": ("nutrients",),
    "why_besides_dose_band": ("nutrients",),
    "why_besides_interaction": ("nutrients",),
    "why_besides_life_stage": ("nutrients",),
    "why_interaction": ("nutrients",),
    "why_diet": (),
    "why_allergy": (),
    "why_age": (),
    "why_life_stage": (),
    "why_life_stage_maximum": (),
    "why_life_stage_maximum_total": ("nutrients",),
    "why_only_source": ("nutrients",),
    "why_market_maximum": (),
    "why_product_maximum": (),
    "why_not_sellable": (),
    "why_out_of_stock": (),
    "why_dose_band": ("nutrients",),
    "why_rule": (),
    "why_above_upper_limit_now": ("nutrients",),
    "why_above_upper_limit_now_food": ("nutrients",),  # review s29a F2
    "why_no_advice": ("nutrients",),
    "why_not_indicated": ("nutrients",),  # session 18: lists.goal_indication
    "why_one_source": ("nutrients",),  # session 19: scoring.yaml lists.one_source
    "why_past_advice_warned": ("nutrients",),  # re-review 21 #10: needs.past_advice_warned_taken
    "notice_not_reordered_one_source": ("name",),
    # review s29a F1: the safety reason of a product left out (render._left_out_notice)
    "notice_not_reordered_interaction": ("name", "nutrients"),
    "notice_not_reordered_upper_limit": ("name", "nutrients"),
    "notice_not_reordered_not_indicated": ("name", "nutrients"),
    "notice_not_reordered_dose_band": ("name", "nutrients"),
    "notice_not_reordered_unsuited": ("name",),
    "notice_warning_reorder": (),  # review s29b F4: beside._reorder_text
    "notice_warning_reorder_unfit": ("products",),  # review s30b F1
    "warning_reorder_short": ("name", "amount", "unit", "nutrient", "advice"),  # s34a F4
}


# ---------------------------------------------------------------- settings
class _TimeZonesSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1))
    default = fields.String(required=True, validate=validate.Length(min=1))
    markets = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=fields.String(validate=validate.Length(min=1)),
        required=True,
    )


class _ConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1))
    remind_days_before = WholeNumber(required=True, validate=validate.Range(0, 365))
    combine_within_days = WholeNumber(required=True, validate=validate.Range(0, 365))
    forget_after_days = WholeNumber(required=True, validate=validate.Range(0, 3650))
    history_per_customer = WholeNumber(required=True, validate=validate.Range(1, 10_000))
    buy_again_days = WholeNumber(required=True, validate=validate.Range(1, 3650))
    reorder_needs_advice_below_age = WholeNumber(load_default=0, validate=validate.Range(0, 120))
    short_of_advice_authorities = fields.List(fields.String(), load_default=list)
    date_format = _Localized(required=True)
    time_zones = fields.Nested(_TimeZonesSchema, required=True)
    texts = fields.Dict(keys=fields.String(), values=_Localized(), required=True)


@dataclass(frozen=True)
class RefillConfig:
    source: str
    remind_days_before: int
    combine_within_days: int
    forget_after_days: int
    history_per_customer: int
    buy_again_days: int
    date_format: dict[str, str]
    texts: dict[str, dict[str, str]]
    time_zones: dict[str, Any]  # source, default (IANA name), markets: country -> IANA name
    version: str = ""
    # below this age a product is reordered only where something in the profile calls for it
    reorder_needs_advice_below_age: int = 0
    # whose advice a reorder that stays below it names (short.py; none: nobody's)
    short_of_advice_authorities: tuple[str, ...] = ()

    def zone(self, country: str | None) -> ZoneInfo:
        """The time zone of a market (profile `country`): a purchase's day is its date there."""
        markets = self.time_zones["markets"]
        return ZoneInfo(markets.get((country or "").upper(), self.time_zones["default"]))

    def text(self, key: str, locale: str, **values: Any) -> str:
        return self.texts[key][locale].format(**localized(values, locale))

    def date(self, day: dt.date, locale: str) -> str:
        return self.date_format[locale].format(
            day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year
        )


def load_refill_config(path: Path, reference: Reference) -> RefillConfig:
    """Load and check rules/refills.yaml: schema, every text in every locale with exactly its
    placeholders, and no text that makes a disease claim (DataFileError with every finding)."""
    display = _display(path)
    document = load_yaml(path, display)
    data, findings = schema_findings(_ConfigSchema(), document, display)
    if findings:
        raise DataFileError(findings)

    def line(key: str) -> int:
        texts = document.get("texts")
        return texts.line_of(key) if hasattr(texts, "line_of") else 1

    # `<text>.<interaction id>`: an interaction's own words, with its base's placeholders
    # (why_interaction.high-serum-vitamin-d: a high measured level is no medicine, 22s M4)
    interactions = {i.id for i in reference.interactions}
    expected = dict(TEXTS)
    for key in data["texts"]:
        base, _, variant = key.partition(".")
        if base in VARIANT_TEXTS and variant in interactions:
            expected[key] = TEXTS[base]
        elif base in STAGE_TEXTS and variant in STAGES:  # her own life stage (s40a F9)
            expected[key] = TEXTS[base]
    for key, placeholders in expected.items():
        localized = data["texts"].get(key)
        if localized is None:
            findings.append(Finding(display, 1, f"texts.{key}: missing", code="missing_text"))
            continue
        for locale in LOCALES:
            text = localized.get(locale)
            if text is None:
                findings.append(
                    Finding(display, line(key), f"texts.{key}: no {locale} text", code="locale")
                )
                continue
            try:
                text.format(**{p: "x" for p in placeholders})
            except (KeyError, IndexError, ValueError) as exc:
                findings.append(
                    Finding(
                        display,
                        line(key),
                        f"texts.{key}.{locale}: placeholder {exc} is not one of "
                        f"{', '.join(placeholders) or '(none)'}",
                        code="placeholder",
                    )
                )
            if reference.forbidden_match(text) is not None:
                findings.append(
                    Finding(
                        display,
                        line(key),
                        f"texts.{key}.{locale}: makes a disease claim",
                        code="forbidden_claim",
                    )
                )
    for key in data["texts"]:
        if key not in expected:
            message = f"texts.{key}: unknown text"
            if "." in key:
                message += (
                    f" (a variant is <text>.<interaction id>, of {', '.join(sorted(VARIANT_TEXTS))}"
                    " and an id of interactions.yaml)"
                )
            findings.append(Finding(display, line(key), message, code="unknown"))
    for locale in LOCALES:
        if locale not in data["date_format"]:
            findings.append(Finding(display, 1, f"date_format: no {locale} format", code="locale"))
    zones = data["time_zones"]
    for where, name in [("default", zones["default"]), *zones["markets"].items()]:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            findings.append(
                Finding(
                    display,
                    1,
                    f"time_zones.{where}: {name!r} is no time zone known here "
                    f"(IANA tz database; is tzdata installed?): {exc}",
                    code="time_zone",
                )
            )
    if findings:
        raise DataFileError(findings)
    version = str(path.stat().st_mtime_ns)
    data["short_of_advice_authorities"] = tuple(data["short_of_advice_authorities"])
    return RefillConfig(**data, version=version)


_CONFIGS: dict[tuple[str, int, int, int], RefillConfig] = {}
_LAST_GOOD: dict[str, RefillConfig] = {}
_CONFIGS_LOCK = threading.Lock()
log = logging.getLogger("dosewise.refills")


def refill_config(rules_dir: Path, reference: Reference) -> RefillConfig:
    """The settings in `rules_dir`, loaded again when the file changes (hot reload). A file
    that fails its checks (or is gone) is refused with its findings in the log, and the last
    good one keeps serving; DataFileError only when none was ever loaded."""
    path = rules_dir / CONFIG_FILE
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, id(reference))
        config = _CONFIGS.get(key)
        if config is None:
            config = load_refill_config(path, reference)
            with _CONFIGS_LOCK:
                if len(_CONFIGS) > 16:
                    _CONFIGS.clear()
                _CONFIGS[key] = config
                _LAST_GOOD[str(path)] = config
        return config
    except (DataFileError, OSError) as exc:
        last = _LAST_GOOD.get(str(path))
        if last is None:
            if isinstance(exc, DataFileError):
                raise
            raise DataFileError(
                [Finding(_display(path), 1, f"cannot read: {exc}", code="missing_file")]
            ) from exc
        log.error("%s refused, the last good settings serve: %s", path, exc)
        return last
