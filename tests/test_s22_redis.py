"""Session 22, on a real Redis: stored customers' placements."""

from __future__ import annotations

from service.customers.redis_client import cache_policy
from service.customers.refresh import refresh_chunk

from .test_s22_review import PREGNANT_VEGAN


def test_a_precomputed_placement_says_what_not_to_take_together_and_a_cut_names_only_its_items(
    served,
):
    """Review 22 F1: the `home` placement precomputed for a pregnant vegan shows 25 + 20 µg
    vitamin D; the cached list says `not_together:vitamin_d_ug` as a POST does, and a cut to
    fewer items is what a POST with that limit says (computed anew, as the plain list's)."""
    app, store = served
    client = app.test_client()
    store.put_profile("s22-home", PREGNANT_VEGAN)
    refresh_chunk(app.extensions["dosewise"], store, ["s22-home"], cache_policy(app))
    query = "locale=nl&placement=home"
    full = client.get(f"/v1/customers/s22-home/recommendations?{query}").get_json()
    assert full["source"] == "cache"
    assert "not_together:vitamin_d_ug" in {n["code"] for n in full["notices"]}
    for limit in (1, 2, 3):
        body = client.get(f"/v1/customers/s22-home/recommendations?{query}&limit={limit}")
        posted = {"profile": PREGNANT_VEGAN, "limit": limit, "locale": "nl", "placement": "home"}
        answer = client.post("/v1/recommendations", json=posted).get_json()
        assert body.get_json()["notices"] == answer["notices"], limit
        assert [i["sku"] for i in body.get_json()["items"]] == [i["sku"] for i in answer["items"]]
