"""Session 19: the gaps session 18 left open and the findings of this session's reviews."""

from __future__ import annotations

from .conftest import store_customer


def test_buy_again_keeps_the_folic_acid_a_plain_d3_bought_more_often_would_push_out(client):
    """Session 18 re-review F7: a pregnant woman who bought a 20 µg D3 three times, a folic acid
    + 10 µg D3 tablet and the pregnancy multivitamin once each (all run out) was offered the D3
    alone: listed most bought first, it left no room for the other two below the 25 µg of
    vitamin D that suits pregnancy, and buy-again had no folic acid. Buy-again now chooses by
    the advice each product serves and lists most bought first; the folic acid tablet, which
    adds only what the multivitamin gives, is not offered beside it."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    bought = [
        ("XF-D3-20-TAB", "2025-01-01"),
        ("XF-D3-20-TAB", "2025-05-01"),
        ("XF-D3-20-TAB", "2025-09-01"),
        ("XF-FOLIC-D3-TAB", "2026-05-01"),
        ("XF-MULTI-PREGNANCY", "2026-06-01"),
    ]
    store_customer(client, "s19-f7", profile, bought)
    for path in ["buy-again?locale=en", "recommendations?placement=account&locale=en&limit=5"]:
        items = client.get(f"/v1/customers/s19-f7/{path}").get_json()["items"]
        skus = [i["sku"] for i in items]
        assert skus[0] == "XF-MULTI-PREGNANCY", skus
        assert "XF-FOLIC-D3-TAB" not in skus and "XF-D3-20-TAB" not in skus, skus


def test_buy_again_lists_most_bought_first_among_what_it_keeps(client):
    """The order buy-again shows stays packs first: a D3 bought twice before a folic acid tablet
    bought once, though the folic acid was chosen first (both fit together)."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    bought = [
        ("XF-D3-10-TAB", "2025-01-01"),
        ("XF-D3-10-TAB", "2025-06-01"),
        ("BL-FOLIC-400-TAB", "2026-06-01"),
    ]
    store_customer(client, "s19-order", profile, bought)
    items = client.get("/v1/customers/s19-order/buy-again?locale=en").get_json()["items"]
    assert [i["sku"] for i in items] == ["XF-D3-10-TAB", "BL-FOLIC-400-TAB"]
