"""Review s30a F1: a product a medicine or condition keeps out, taken and told to stop for
what is named in its place (instead.py, /refills), is switched only as agreed with whoever
treats it: a vitamin K antagonist's dose is set with the vitamin K taken, and stopping it
changes the INR as starting it does (domain.md: MK-7 from 10 µg/day shifts INR)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ranking import Evaluation


def switch_reason(ev: Evaluation, stopped: tuple[int, ...], locale: str) -> dict[str, str] | None:
    """Review s30a F1: `switch:<interaction id>`, "Make this change only as agreed with ...",
    where a medicine or condition of the profile keeps a product out that the person takes and
    is told to stop (`stopped`): its interaction's own words for the market, else its own, else
    the common ones; None where none does (a diet, an age; a measured level is no medicine)."""
    interaction = _keeping_out(ev, stopped)
    if interaction is None:
        return None
    key = _variant(ev, interaction, "notice_instead_switch")
    return {"code": f"switch:{interaction}", "text": ev.snapshot.reference.text(key, locale)}


def switch_key(ev: Evaluation, stopped: tuple[int, ...], base: str) -> str:
    """Session 31 (review s31a F3): the text key of `base` for the medicine or condition that
    keeps one of the products `stopped` (catalog indices) out, `base.<interaction id>.<market>`
    or `base.<interaction id>` where there is one; else `base`."""
    interaction = _keeping_out(ev, stopped)
    return base if interaction is None else _variant(ev, interaction, base)


def _variant(ev: Evaluation, interaction: str, base: str) -> str:
    texts, country = ev.snapshot.reference.texts, ev.profile.country
    for key in (f"{base}.{interaction}.{country}", f"{base}.{interaction}"):
        if key in texts:
            return key
    return base


def _keeping_out(ev: Evaluation, stopped: tuple[int, ...]) -> str | None:
    """The id of the first interaction of a medicine or condition of the profile that
    excludes one of the products `stopped`, or None."""
    for interaction in ev.safety.triggered:
        mask = ev.safety.excluded.get(f"interaction:{interaction.id}")
        if not (interaction.medications or interaction.conditions) or mask is None:
            continue
        if any(mask[i] for i in stopped):
            return interaction.id
    return None


def switch_text(ev: Evaluation, stopped: tuple[int, ...], locale: str) -> str:
    """`switch_reason`'s text after a space, or ""."""
    reason = switch_reason(ev, stopped, locale)
    return "" if reason is None else " " + reason["text"]
