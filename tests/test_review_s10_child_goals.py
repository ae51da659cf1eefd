"""Review 10 M4: a boy of 13 with the goals sport and muscles got a 500 mg calcium tablet for
"calcium contributes to normal muscle function" alone: no calcium advice for him, and no upper
limit below 18 (EFSA set none for lack of data), so nothing checked the dose. A goal alone now
recommends calcium to adults only (scoring.yaml lists.goal_indication). Seen failing before."""

from __future__ import annotations

from tests.conftest import memory_app, recommend

GOALS = {"country": "DE", "sex": "male", "goals": ["sport", "muscles"]}


def _calcium(answer: dict) -> list[str]:
    return [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("calcium_mg")]


def test_a_child_gets_no_calcium_for_a_goal_alone():
    client = memory_app().test_client()
    for placement in ("home", None):
        body = {"profile": {"age": 13, **GOALS}, "limit": 10}
        if placement:
            body["placement"] = placement
        assert not _calcium(recommend(client, body, "de")), placement


def test_an_adult_still_gets_calcium_for_the_same_goals():
    client = memory_app().test_client()
    assert _calcium(recommend(client, {"profile": {"age": 30, **GOALS}, "limit": 10}, "de"))


def test_the_bones_rule_brings_no_calcium_to_a_child():
    """Review 10b F5: the shop rule bones-calcium-d3 still brought a boy of 13 with the goal
    bones a 500 mg calcium + D3; the rule now asks for an adult (or a bone condition)."""
    client = memory_app().test_client()
    body = {"profile": {"age": 13, "country": "NL", "sex": "male", "goals": ["bones"]}, "limit": 6}
    assert not _calcium(recommend(client, body, "de"))
    adult = {**body, "profile": {**body["profile"], "age": 40}}
    assert _calcium(recommend(client, adult, "de"))
