"""Session 41: what session 40 left open.

s40c N1 / s40a F1 variant (unsafe in effect): a pregnant woman whose folic acid + 10 µg D3
runs out a few days before her 25 µg D3, beside a women's multivitamin (not suitable in
pregnancy) that lasts, had both left out ("ask your pharmacist"), and the multivitamin's
`instead` named iodine only: no product named her folic acid."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import dated_client, store_customer
from .oracle import PRODUCTS, per_day

TODAY_S41 = dt.date(2026, 12, 7)
PREGNANT = {"age": 32, "sex": "female", "life_stage": "pregnant"}
MULTI, FOLIC_D3, D3 = "XF-MULTI-WOMEN", "XF-FOLIC-D3-TAB", "XF-D3-25-SG"
# s41c 2764: a pregnant vegetarian's men's multivitamin, calcium + D3s and kelp (days ago)
MEN_CAD3 = [
    ("XF-MULTI-MEN", 9),
    ("GR-CAD3-VEGAN-TAB", 57),
    ("GR-KELP-150-TAB", 53),
    ("XF-CAD3-1000-20-TAB", 66),
]


def _stored(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> str:
    """Store `profile` with purchases (SKU, days before TODAY_S41); the customer's path."""
    purchases = [(sku, TODAY_S41 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return f"/v1/customers/{customer_id}"


def _gives(sku: str, nutrient: str) -> float:
    return per_day(PRODUCTS[sku]).get(nutrient, 0.0)


def test_her_folic_acid_is_named_when_it_runs_out_days_before_her_vitamin_d(redis_url) -> None:
    """s40c N1: the folic acid + D3 (35 µg with the 25 µg D3 on the days they overlap) is
    replaced by a folic acid without vitamin D, found as if the multivitamin she is told to
    stop were not taken; the 25 µg D3 goes on. The multivitamin stops when the first of the
    two starts, and each item says so (s41a F2: the folic acid started 3 days beside it,
    while its notice said what is suggested is for once it is stopped); its entry names her
    iodine. The e-mail proposes the same two, each saying to stop it."""
    client = dated_client(redis_url, TODAY_S41)
    base = _stored(client, "s41-n1", PREGNANT, [(MULTI, 20), (FOLIC_D3, 85), (D3, 112)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    reorder = answer["reorder"]
    items = {i["sku"]: i for i in reorder["items"]}
    assert not reorder["left_out"], reorder
    (folic,) = [s for s in items if _gives(s, "folic_acid_ug") > 0]
    assert items[folic]["action"] == "replace" and items[folic]["replaces"] == FOLIC_D3, items
    assert _gives(folic, "vitamin_d_ug") == 0, folic
    codes = [r["code"] for r in items[folic]["reasons"]]
    assert "fills_gap:folic_acid_ug" in codes, codes
    assert items[D3]["action"] == "reorder", items
    for sku in (folic, D3):
        stop = [r["text"] for r in items[sku]["reasons"] if r["code"] == f"stop:{MULTI}"]
        assert stop and "it does not suit you now" in stop[0], items[sku]
    # the multivitamin stops with the folic acid: no day of 800 µg
    assert not items[folic]["warnings"], items[folic]
    refill = {r["sku"]: r for r in answer["refills"]}
    stopped_for = refill[MULTI]["why"][0]
    assert stopped_for["code"] == "stopped_for", refill[MULTI]
    assert PRODUCTS[folic]["name"]["en"] in stopped_for["text"], stopped_for
    instead = [refill[MULTI]["instead"], *refill[MULTI].get("instead_also", [])]
    assert "iodine_ug" in {n for i in instead for n in i["nutrients_per_day"]}, instead
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert "once you have stopped it" in said[f"product_not_suited:{MULTI}"], said
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    assert {i["sku"] for i in email["items"]} == {folic, D3}, email
    for item in email["items"]:
        assert f"stop:{MULTI}" in [r["code"] for r in item["reasons"]], item


def test_no_folic_acid_beside_a_multivitamin_that_must_go_on_for_now(redis_url) -> None:
    """Where nothing stops the multivitamin (a vitamin K antagonist: its switch is only as
    agreed with her doctor), a folic acid found as if it were not taken would be a second
    source beside it for good: the folic acid + D3 is left out as before."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "medications": ["vitamin_k_antagonist"]}
    base = _stored(client, "s41-vka", profile, [(MULTI, 20), (FOLIC_D3, 85), (D3, 112)])
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert not [i for i in reorder["items"] if _gives(i["sku"], "folic_acid_ug") > 0], reorder
    assert FOLIC_D3 in [i["sku"] for i in reorder["left_out"]], reorder
    assert not any(r["code"].startswith("stop:") for i in reorder["items"] for r in i["reasons"])


def test_each_of_two_multivitamins_that_stop_names_her_folic_acid_and_iodine(redis_url) -> None:
    """s40c (two multivitamins): a pregnant woman's women's and 50+ multivitamins (neither
    suits pregnancy) stop for her 25 µg D3; each /refills entry named folic acid only, as the
    other's iodine counted as hers, while her list named folic acid and iodine. What no longer
    fits is no source of "enough" for the products named after the first either."""
    client = dated_client(redis_url, TODAY_S41)
    bought = [(MULTI, 20), ("XF-MULTI-50PLUS", 30), (D3, 112)]
    answer = client.get(f"{_stored(client, 's41-two', PREGNANT, bought)}/refills").get_json()
    stops = {r["code"] for i in answer["reorder"]["items"] for r in i["reasons"]}
    assert {f"stop:{MULTI}", "stop:XF-MULTI-50PLUS"} <= stops, answer["reorder"]
    for entry in answer["refills"]:
        if entry["sku"] in (MULTI, "XF-MULTI-50PLUS"):
            named = [entry["instead"], *entry.get("instead_also", [])]
            gives = {n for i in named for n in i["nutrients_per_day"]}
            assert {"folic_acid_ug", "iodine_ug"} <= gives, entry
            assert "vitamin_d_ug" not in gives, entry


def _day_total(answer: dict, nutrient: str, day: str, lasting: dict[str, str]) -> float:
    """`nutrient` a day on `day` (YYYY-MM-DD): the reorder's items started by then, and the
    supplies `lasting` (SKU -> the day it runs out) not stopped by an item started by then."""
    items = answer["reorder"]["items"]
    started = [i for i in items if max(TODAY_S41.isoformat(), i["runs_out_on"]) <= day]
    stopped = {
        r["code"][5:] for i in started for r in i["reasons"] if r["code"].startswith("stop:")
    }
    total = sum(_gives(i["sku"], nutrient) for i in started)
    return total + sum(
        _gives(sku, nutrient) for sku, end in lasting.items() if end > day and sku not in stopped
    )


@pytest.mark.parametrize(
    "profile, bought, lasting",
    [
        (  # s41b F4: her kids' gummies (not for her diet and age) last a month
            {**PREGNANT, "country": "DE", "medications": ["vitamin_k_antagonist"]}
            | {"diet": "vegetarian"},
            [("XF-D3-50-CAP", 129), ("KV-D3-KIDS-GUMMY", 39)],
            "KV-D3-KIDS-GUMMY",
        ),
        (  # s41b F2a: a man of 80 with a child's D3 chew, his kids' drops running out
            {"country": "NL", "age": 80, "sex": "male"},
            [("GR-D3-KIDS-DROPS-VEGAN", 292), ("VL-MULTI-WOMEN50", 77), ("KV-D3-10-CHEW", 64)],
            "KV-D3-10-CHEW",
        ),
    ],
)
def test_what_is_replaced_together_with_the_reorder_is_told_to_stop(
    redis_url, profile, bought, lasting
) -> None:
    """s41b F4 (unsafe): a product taken that no longer fits and whose nutrients the product
    running out all gives (review s36c F1) was left out of the day its replacement was judged
    on, and nothing told her to stop it: a pregnant woman was proposed a 20 µg D3 beside kids'
    gummies of 10 µg for a month (30 µg, at most 25). The item now says to stop it as it
    starts ("it no longer fits your profile; do not take the two together"), its entry says
    so, and on no day is the vitamin D above what was checked."""
    client = dated_client(redis_url, TODAY_S41)
    answer = client.get(f"{_stored(client, 's41-j', profile, bought)}/refills?locale=en").get_json()
    items = answer["reorder"]["items"]
    vitamin_d = [i for i in items if _gives(i["sku"], "vitamin_d_ug") > 0]
    assert vitamin_d, answer["reorder"]
    for item in vitamin_d:
        stop = [r["text"] for r in item["reasons"] if r["code"] == f"stop:{lasting}"]
        assert stop and "do not take the two together" in stop[0], item
    refill = {r["sku"]: r for r in answer["refills"]}
    assert refill[lasting]["why"][0]["code"] == "stopped_for", refill[lasting]
    ends = {r["sku"]: r["runs_out_on"] for r in answer["refills"] if r["sku"] == lasting}
    for item in vitamin_d:
        day = max(TODAY_S41.isoformat(), item["runs_out_on"])
        assert _day_total(answer, "vitamin_d_ug", day, ends) == _gives(item["sku"], "vitamin_d_ug")


def test_no_vitamin_d_beside_drops_a_blood_thinner_keeps_her_on(redis_url) -> None:
    """s41b F1 (unsafe): her D3 + K2 drops (20 µg) do not go with her vitamin K antagonist,
    and the answer says to stop them only as agreed with her anticoagulation clinic; they
    were dropped from the day the men's multivitamin's replacement was judged on, and a 25 µg
    D3 was reordered beside them (45 µg a day for six weeks, at most 25)."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "country": "NL", "age": 43, "medications": ["vitamin_k_antagonist"]}
    bought = [
        ("XF-MULTI-SPORT", 37),
        ("XF-MULTI-MEN", 83),
        ("XF-D3K2-DROPS", 349),
        ("XF-D3-25-DROPS", 390),
    ]
    answer = client.get(f"{_stored(client, 's41-k', profile, bought)}/refills").get_json()
    drops = {r["sku"]: r for r in answer["refills"]}["XF-D3K2-DROPS"]
    assert drops["runs_out_on"] > "2027-01-01", drops
    for item in answer["reorder"]["items"]:
        day = max(TODAY_S41.isoformat(), item["runs_out_on"])
        total = _day_total(answer, "vitamin_d_ug", day, {"XF-D3K2-DROPS": drops["runs_out_on"]})
        assert total <= 25, (item["sku"], total, answer["reorder"])


@pytest.mark.parametrize(
    "bought",
    [
        [(MULTI, 20), (FOLIC_D3, 85), (D3, 112), ("XF-OMEGA3-D3-SG", 57)],  # s41a F1 r4
        [(MULTI, 20), (FOLIC_D3, 85), (D3, 60)],  # s41a F1 f1: the D3 lasts, not due
    ],
)
def test_her_folic_acid_is_named_beside_a_multivitamin_that_does_not_suit(
    redis_url, bought
) -> None:
    """s41a F1 (unsafe in effect): beside an omega-3 with D3 left out, the multivitamin was
    not stopped for the D3 (the omega-3's vitamin D, which the D3 itself serves, counted as
    lost), and with the D3 lasting the folic acid + D3 running out in 5 days (left out) was
    her folic acid where the multivitamin's `instead` was worked out: no product named her
    folic acid. Now a folic acid is in the reorder or in the multivitamin's `instead`."""
    client = dated_client(redis_url, TODAY_S41)
    answer = client.get(f"{_stored(client, 's41-f', PREGNANT, bought)}/refills").get_json()
    named = [i["sku"] for i in answer["reorder"]["items"]]
    for entry in answer["refills"]:
        named += [i["sku"] for i in [entry.get("instead"), *entry.get("instead_also", [])] if i]
    assert any(_gives(sku, "folic_acid_ug") > 0 for sku in named), answer


def test_what_is_stopped_stops_as_the_first_item_judged_without_it_starts(redis_url) -> None:
    """s41c (unsafe): her 50 µg D3 (not for pregnancy) was stopped with her multivitamin's
    replacement from 12-20, while a 10 µg D3 judged without it started today: 60 µg a day
    until then. Each item that gives vitamin D says to stop it, and it stops with the first."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "country": "DE", "age": 20}
    bought = [("VL-D3-50-TAB", 13), ("BL-MULTI-AZ", 87), ("KV-D3-10-CHEW", 122)]
    answer = client.get(f"{_stored(client, 's41-e', profile, bought)}/refills?locale=en").get_json()
    ends = {r["sku"]: r["runs_out_on"] for r in answer["refills"]}
    lasting = {sku: end for sku, end in ends.items() if end > TODAY_S41.isoformat()}
    for item in answer["reorder"]["items"]:
        if _gives(item["sku"], "vitamin_d_ug") > 0:
            assert "stop:VL-D3-50-TAB" in [r["code"] for r in item["reasons"]], item
        day = max(TODAY_S41.isoformat(), item["runs_out_on"])
        assert _day_total(answer, "vitamin_d_ug", day, lasting) <= 25, (item, answer["reorder"])


@pytest.mark.parametrize(
    "profile, bought, nutrient",
    [
        (  # s41c: a vitamin D not allowed beside what she takes ended the search
            {**PREGNANT, "country": "NL", "age": 39, "diet": "vegan"},
            [("XF-MULTI-WOMEN", 24), ("VL-CAD3K2-TAB", 60)],
            "iodine_ug",
        ),
        (  # s41c 2764: the folic acid named was dropped as it also gave vitamin D
            {**PREGNANT, "country": "DE", "age": 34, "diet": "vegetarian"},
            MEN_CAD3,
            "folic_acid_ug",
        ),
    ],
)
def test_each_advised_nutrient_of_a_multivitamin_that_does_not_suit_is_named(
    redis_url, profile, bought, nutrient
) -> None:
    """What suits in place of a multivitamin that does not suit pregnancy names each advised
    nutrient it gave, beside what the reorder proposes."""
    client = dated_client(redis_url, TODAY_S41)
    answer = client.get(f"{_stored(client, 's41-a', profile, bought)}/refills").get_json()
    named = [i["sku"] for i in (answer["reorder"] or {}).get("items", [])]
    for entry in answer["refills"]:
        named += [i["sku"] for i in [entry.get("instead"), *entry.get("instead_also", [])] if i]
    assert any(_gives(sku, nutrient) > 0 for sku in named), answer


def test_no_stop_said_on_an_item_that_gives_nothing_of_the_stopped_product(redis_url) -> None:
    """s41c (misleading): a folic acid tablet in place of her sport multivitamin told her to
    stop her 20 µg D3 ('do not take the two together'), and nothing gave her vitamin D."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "country": "DE", "diet": "vegan"}
    bought = [("XF-MULTI-SPORT", 47), ("VL-MULTI-WOMEN50", 10), ("BL-D3-20-70PLUS-TAB", 53)]
    answer = client.get(f"{_stored(client, 's41-s', profile, bought)}/refills").get_json()
    for item in answer["reorder"]["items"]:
        for reason in item["reasons"]:
            if reason["code"].startswith("stop:"):
                stopped = PRODUCTS[reason["code"][5:]]["nutrients_per_serving"]
                assert set(stopped) & set(PRODUCTS[item["sku"]]["nutrients_per_serving"]), item


def test_the_email_names_her_folic_acid_beside_a_reorder_that_goes_on(redis_url) -> None:
    """s41c 2764 (e-mail): beside the reorder of her calcium + D3 (still taken today), the
    e-mail dropped the folic acid + D3 the list names in place of her men's multivitamin
    (as a second vitamin D; the list had named it beside that same calcium + D3), so it named
    no folic acid. A reorder of what is taken today goes on beside what the list names."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "country": "DE", "age": 34, "diet": "vegetarian"}
    bought = MEN_CAD3
    base = _stored(client, "s41-m", profile, bought)
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    assert "GR-CAD3-VEGAN-TAB" in [i["sku"] for i in email["items"]], email
    said = " ".join(n["text"] for n in email["notices"] if n["code"].startswith("instead:"))
    folic = [  # named in its place (what she bought is named as what to stop)
        s
        for s, p in PRODUCTS.items()
        if p["nutrients_per_serving"].get("folic_acid_ug") and s not in dict(bought)
    ]
    named = [i["sku"] for i in email["items"]] + [
        s for s in folic if PRODUCTS[s]["name"]["en"] in said
    ]
    assert any(_gives(sku, "folic_acid_ug") > 0 for sku in named), email


def test_what_is_named_instead_is_no_second_source_beside_a_new_reorder_item(redis_url) -> None:
    """s41d F1 (unsafe if followed): the kids' gummies she is told to stop for a 20 µg D3
    named a folic acid + 10 µg D3 `instead` (30 µg with the D3, at most 25): what an entry
    names is trimmed of what a new product of the reorder gives, as before session 41."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "country": "DE", "age": 42}
    bought = [("BL-MULTI-AZ", 110), ("KV-D3-KIDS-GUMMY", 12), ("XF-MULTI-SPORT", 55)]
    answer = client.get(f"{_stored(client, 's41-t', profile, bought)}/refills").get_json()
    items = [i["sku"] for i in answer["reorder"]["items"]]
    assert any(_gives(sku, "vitamin_d_ug") > 0 for sku in items), answer["reorder"]
    for entry in answer["refills"]:
        for named in [entry.get("instead"), *entry.get("instead_also", [])]:
            if named:
                assert named["sku"] not in items, entry
                assert not _gives(named["sku"], "vitamin_d_ug"), entry


def test_no_stop_for_a_product_the_reorder_no_longer_proposes(redis_url) -> None:
    """s41d F2 (misleading): her kids' drops, her only vitamin D left, were told to stop
    "when you start" a sport multivitamin the reorder replaced by iodine alone (its folic
    acid + D3 was held back after): no entry says to stop for what no item proposes."""
    client = dated_client(redis_url, TODAY_S41)
    taken = ["XF-CAD3K2-TAB", "GR-D3-KIDS-DROPS-VEGAN", "BL-MULTI-AZ", "XF-MULTI-SPORT"]
    profile = {**PREGNANT, "country": "NL", "age": 42}
    profile["current_supplements"] = [{"sku": sku} for sku in taken]
    bought = [
        ("XF-MULTI-SPORT", 72),
        ("XF-CAD3K2-TAB", 64),
        ("BL-MULTI-AZ", 110),
        ("GR-D3-KIDS-DROPS-VEGAN", 275),
    ]
    answer = client.get(f"{_stored(client, 's41-u', profile, bought)}/refills").get_json()
    said = {r["code"] for i in answer["reorder"]["items"] for r in i["reasons"]}
    for entry in answer["refills"]:
        if entry.get("why") and entry["why"][0]["code"] == "stopped_for":
            assert f"stop:{entry['sku']}" in said, entry
