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
    reference, country = ev.snapshot.reference, ev.profile.country
    for interaction in ev.safety.triggered:
        mask = ev.safety.excluded.get(f"interaction:{interaction.id}")
        if not (interaction.medications or interaction.conditions) or mask is None:
            continue
        if any(mask[i] for i in stopped):
            base = "notice_instead_switch"
            for key in (f"{base}.{interaction.id}.{country}", f"{base}.{interaction.id}", base):
                if key in reference.texts:
                    text = reference.text(key, locale)
                    return {"code": f"switch:{interaction.id}", "text": text}
    return None


def switch_text(ev: Evaluation, stopped: tuple[int, ...], locale: str) -> str:
    """`switch_reason`'s text after a space, or ""."""
    reason = switch_reason(ev, stopped, locale)
    return "" if reason is None else " " + reason["text"]
