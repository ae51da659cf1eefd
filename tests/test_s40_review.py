"""Session 40: what the re-reviews of session 39 left open.

s39d F1 (misleading): a pregnant woman with a women's multivitamin (unsuitable in pregnancy as
a whole, 10 µg vitamin D) and her 25 µg D3 running out was told on /refills that the D3 is
left out with "no safe alternative"; the multivitamin's replacements (folic acid, iodine) give
no vitamin D, so whoever followed the reorder took none."""

from __future__ import annotations

import pytest

from .test_s31b_data import app_for, check


# ---------------------------------------------------------------- review s39d F5 (tooling)
@pytest.mark.parametrize(
    "old, new, says",
    [
        (  # men's products kept from adult women only: girls of 12-17 would see them
            """when: "profile.sex == 'female'\"""",
            """when: "profile.sex == 'female' && profile.age >= 18\"""",
            "no longer keeps XF-MULTI-MEN out for {'age': 16",
        ),
        (  # children's vitamin K kept out from 12 only: babies would get D3 + K2 drops
            'when: "profile.age < 18 && !(has(profile.higher_dose_advised)',
            'when: "profile.age >= 12 && profile.age < 18 && !(has(profile.higher_dose_advised)',
            "no longer keeps XF-D3K2-DROPS out for {'age': 1,",
        ),
        (  # a pregnancy multivitamin for every woman up to 55, planning or not
            "when: \"profile.life_stage == 'none' && !('pregnancy' in profile.goals && "
            "profile.sex != 'male' && profile.age <= 55)\"",
            "when: \"profile.life_stage == 'none' && profile.age > 55\"",
            "no longer keeps XF-MULTI-PREGNANCY out for {'age': 30",
        ),
    ],
)
def test_a_required_rule_narrowed_past_its_examples_is_refused(data_copy, old, new, says) -> None:
    """s39d F5: one example per required rule let a narrowing through (`target-group-men`
    limited to adult women kept its woman of 40 out). More `examples` in required_rules.yaml
    catch the edges: the rule set is refused by rules check and the reload."""
    client = app_for(data_copy).test_client()
    path = data_copy.merchandising_dir / "risk_groups.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert says in out.output and "risk_groups.yaml" in out.output, out.output
    assert client.post("/v1/admin/reload").status_code == 422
