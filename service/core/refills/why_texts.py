"""The why entries of the refills answer in words (split from render.py): each check a product
fails, with the nutrients concerned, in the locale and, where the texts have them, in her own
life stage's words or an interaction's own."""

from __future__ import annotations

from typing import NamedTuple

from ..day_totals import interaction_key
from ..ranking import Evaluation
from ..reference import Reference, own_stage
from ..serum_texts import deficient_column
from .settings import STAGE_TEXTS, VARIANT_TEXTS, RefillConfig


def nutrient_names(reference: Reference, keys: list[str], locale: str) -> str:
    return reference.listed((reference.nutrients.name(k, locale) for k in keys), locale)


class WhyWords(NamedTuple):
    """What the why texts of a plan depend on besides the why: the nutrient of a measured
    deficiency (serum_texts.deficient_column) and the evaluation of the profile now, whose
    interactions may have their own words (`why_interaction.<id>`, day_totals.interaction_key)."""

    deficient: str | None = None
    now: Evaluation | None = None


_NO_WORDS = WhyWords()


def why_words(ev: Evaluation | None) -> WhyWords:
    if ev is None:
        return WhyWords()
    column = deficient_column(ev)
    return WhyWords(None if column is None else ev.snapshot.reference.nutrients.keys[column], ev)


def why_texts(
    config: RefillConfig,
    reference: Reference,
    why: dict[str, list[str]],
    locale: str,
    words: WhyWords = _NO_WORDS,
) -> list[dict[str, str]]:
    """The why entries' texts; beside a measured deficiency "already enough" of that nutrient
    is not said (re-review 23r #3); an interaction that alone excludes the nutrients says it
    in its own words where it has them (re-review 22s M4: a high measured level)."""
    out = []
    for code, nutrients in why.items():
        key = f"why_{code}"
        if code == "already_covered" and words.deficient in nutrients:
            key = "why_already_covered_serum"
        if key in STAGE_TEXTS and words.now is not None:  # her own stage (re-review s40a F9)
            stage = f"{key}.{own_stage(words.now.profile)}"
            key = stage if stage in config.texts else key
        # per interaction that alone excludes some of the nutrients, its own words where it
        # has them (review 24 #2: the anticoagulant's vitamin K beside a high vitamin D level)
        groups = _by_interaction(config, key, nutrients, words) if key in VARIANT_TEXTS else []
        for text_key, named in groups or [(key, nutrients)]:
            if text_key not in config.texts:
                text_key = "why_rule"  # a check without its own text yet: the neutral one
            names = nutrient_names(reference, named, locale)
            text = config.text(text_key, locale, nutrients=names)
            out.append({"code": code, "text": text})
    return out


def _by_interaction(
    config: RefillConfig, key: str, nutrients: list[str], words: WhyWords
) -> list[tuple[str, list[str]]]:
    """(text key, nutrients): per nutrient `key.<id>` where one interaction alone excludes it
    and has that text (day_totals.interaction_key), else `key`, in the nutrients' order."""
    if words.now is None:
        return [(key, nutrients)]
    keys = words.now.snapshot.reference.nutrients.keys
    groups: dict[str, list[str]] = {}
    for nutrient in nutrients:
        text_key = interaction_key(words.now, key, [keys.index(nutrient)], config.texts)
        groups.setdefault(text_key, []).append(nutrient)
    return list(groups.items())
