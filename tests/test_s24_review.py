"""Session 24: findings left open by earlier reviews."""

from __future__ import annotations

import pytest

from service.core.errors import DataFileError
from service.core.refills.settings import load_refill_config
from service.core.snapshot import DataPaths, load_snapshot
from service.settings import REPO_ROOT

from .conftest import memory_app, store_customer

# words of the generic interaction text (refills.yaml why_interaction) per locale
MEDICINE = {"nl": "medicijn", "de": "Medikament", "en": "medicine"}


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_refills_name_a_high_measured_level_not_a_medicine(client, locale):
    """Re-review 22s M4 (rest): a woman of 60 with a measured 25(OH)D of 160 nmol/l, no
    medicine and no condition, who bought a 20 µg D3: GET /refills said it "does not go with a
    medicine or condition in your profile". It names the high measured level and the doctor."""
    customer = f"s24-high-serum-{locale}"
    profile = {"age": 60, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 160}
    store_customer(client, customer, profile, {"XF-D3-20-TAB": "2026-09-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale={locale}").get_json()
    whys = [w for e in refills["refills"] for w in e.get("why", [])]
    whys += [w for e in (refills["reorder"] or {"left_out": []})["left_out"] for w in e["why"]]
    interaction = [w["text"] for w in whys if w["code"] == "interaction"]
    assert interaction, refills
    for text in interaction:
        assert MEDICINE[locale] not in text, text


def test_refills_keep_the_medicine_wording_for_a_medicine(client):
    """The variant is the high level's alone: a vitamin K antagonist's user who bought a
    D3 + K2 still reads that it does not go with a medicine."""
    customer = "s24-vka"
    profile = {"age": 70, "sex": "male", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    store_customer(client, customer, profile, {"XF-D3K2-TAB": "2026-09-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    whys = [w for e in refills["refills"] for w in e.get("why", [])]
    whys += [w for e in (refills["reorder"] or {"left_out": []})["left_out"] for w in e["why"]]
    interaction = [w["text"] for w in whys if w["code"] == "interaction"]
    assert interaction and all("medicine" in t for t in interaction), refills


def test_a_refill_text_variant_must_name_a_known_interaction(tmp_path):
    """`why_interaction.<id>` is an interaction's own words only for an interaction that
    exists: a typo is refused with its file and line, as an unknown text."""
    reference = load_snapshot(
        DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    ).reference
    text = (REPO_ROOT / "rules" / "refills.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "refills.yaml"
    broken.write_text(
        text.replace("why_interaction.high-serum-vitamin-d:", "why_interaction.high-serum:"),
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as error:
        load_refill_config(broken, reference)
    assert "why_interaction.high-serum" in str(error.value)


def test_the_cart_keeps_the_copurchase_rows_it_read_for_a_while(redis_url):
    """Session 24: the cart, checkout and product page read the co-purchase rows of the basket
    on every request (an HMGET); a web process keeps them COPURCHASE_CACHE_SECONDS. Within that
    time a row the job rewrote is still the old one, after it the new one; a row that is not
    there is looked up again after it too; 0 reads Redis every time."""
    import redis as redis_lib

    from service.customers import copurchase
    from service.customers.store import RedisStore

    client = redis_lib.Redis.from_url(redis_url)
    store = RedisStore(client)
    client.hset(copurchase.TABLE, "A", '{"B": 0.5}')
    now = [100.0]
    cache = copurchase.RowCache(60, clock=lambda: now[0])
    assert cache.read(store, ["A", "C"]) == {"A": {"B": 0.5}}
    client.hset(copurchase.TABLE, mapping={"A": '{"B": 0.9}', "C": '{"A": 0.2}'})
    now[0] += 59
    assert cache.read(store, ["A", "C"]) == {"A": {"B": 0.5}}  # within the 60 s: as read
    now[0] += 1
    assert cache.read(store, ["A", "C"]) == {"A": {"B": 0.9}, "C": {"A": 0.2}}
    client.hset(copurchase.TABLE, "A", '{"B": 0.1}')
    assert copurchase.RowCache(0).read(store, ["A"]) == {"A": {"B": 0.1}}


def _whys(refills: dict) -> list[dict]:
    whys = [w for e in refills["refills"] for w in e.get("why", [])]
    left_out = (refills["reorder"] or {"left_out": []})["left_out"]
    return whys + [w for e in left_out for w in e["why"]]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_what_is_taken_besides_is_named_for_a_high_level_too(client, locale):
    """Review 24 #1: beside a multivitamin in the basket, the 20 µg D3 of a woman at 160
    nmol/l also read "what you take besides it already contains vitamin D, which does not go
    with a medicine or condition" (why_besides_interaction)."""
    customer = f"s24-besides-{locale}"
    profile = {"age": 60, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 160}
    store_customer(client, customer, profile, {"XF-D3-20-TAB": "2026-09-01"})
    path = f"/v1/customers/{customer}/refills?locale={locale}&basket=XF-MULTI-WOMEN"
    whys = _whys(client.get(path).get_json())
    besides = [w["text"] for w in whys if w["code"] == "besides_interaction"]
    assert besides, whys
    for text in [w["text"] for w in whys if "interaction" in w["code"]]:
        assert MEDICINE[locale] not in text, text


def test_two_interactions_each_say_their_own_nutrients(client):
    """Review 24 #2: a man of 70 on a vitamin K antagonist with a measured 160 nmol/l who
    bought a D3 + K2 read "it contains vitamin K2 and vitamin D, which does not go with a
    medicine or condition": the vitamin D is kept out by the level, not the medicine. Each
    interaction names its own nutrients in its own words."""
    customer = "s24-vka-high-serum"
    profile = {
        "age": 70,
        "sex": "male",
        "country": "NL",
        "serum_25ohd_nmol_l": 160,
        "medications": ["vitamin_k_antagonist"],
    }
    store_customer(client, customer, profile, {"XF-D3K2-TAB": "2026-09-01"})
    whys = _whys(client.get(f"/v1/customers/{customer}/refills?locale=en").get_json())
    texts = [w["text"] for w in whys if w["code"] == "interaction"]
    medicine = [t for t in texts if "medicine" in t]
    level = [t for t in texts if "measured vitamin D level" in t]
    assert medicine and level, texts
    assert all("vitamin D" not in t.replace("vitamin D level", "") for t in medicine), texts
    assert all("K2" not in t for t in level), texts


def test_only_the_why_texts_read_with_an_interaction_may_have_a_variant(tmp_path):
    """Review 24 #3: `why_dose_band.high-serum-vitamin-d` loaded and was never shown."""
    reference = load_snapshot(
        DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    ).reference
    text = (REPO_ROOT / "rules" / "refills.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "refills.yaml"
    variant = "\n  why_dose_band.high-serum-vitamin-d:\n" + "".join(
        f'    {locale}: "{{nutrients}}"\n' for locale in ("nl", "de", "en")
    )
    broken.write_text(text.replace("\n  why_diet:\n", variant + "  why_diet:\n"), "utf-8")
    with pytest.raises(DataFileError) as error:
        load_refill_config(broken, reference)
    assert "why_dose_band.high-serum-vitamin-d: unknown text" in str(error.value)


def test_unknown_basket_skus_are_neither_looked_up_nor_kept(redis_url):
    """Review 24 #4: a cart of 100 unknown SKUs was refused (422) after an HMGET of them, and
    their entries stayed in the row cache (about 1,000 such requests filled it)."""
    from service.api.app import create_app

    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url})
    body = {
        "profile": {"age": 40},
        "placement": "cart",
        "basket": [{"sku": f"ZZ-{i}"} for i in range(50)] + [{"sku": "XF-D3-20-TAB"}],
    }
    answer = app.test_client().post("/v1/recommendations", json=body)
    assert answer.status_code == 422
    cache = app.extensions.get("dosewise_copurchase_rows")
    assert cache is None or set(cache._rows) <= {"XF-D3-20-TAB"}


@pytest.mark.parametrize("value", ["60s", "NaN", "Infinity", -5])
def test_a_bad_copurchase_cache_setting_falls_back_to_a_minute(redis_url, value):
    """Review 24 #5: COPURCHASE_CACHE_SECONDS "60s" made every cart answer 500; NaN or
    Infinity kept rows for ever. Such a value is logged and 60 s used."""
    from service.api.app import create_app

    settings = {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url}
    app = create_app({**settings, "COPURCHASE_CACHE_SECONDS": value})
    body = {"profile": {"age": 60}, "placement": "cart", "basket": [{"sku": "XF-D3-20-TAB"}]}
    assert app.test_client().post("/v1/recommendations", json=body).status_code == 200
    assert app.extensions["dosewise_copurchase_rows"].seconds == 60


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_high_level_is_the_reason_not_more_than_the_advice(client, locale):
    """Review 24 (found while testing the why texts): beside "we do not suggest it with your
    high measured vitamin D level", the 75 µg D3 of a woman at 160 nmol/l also read "its daily
    amount of vitamin D is higher than the advice for your profile", as if a smaller dose would
    do. An interaction that keeps a nutrient out in any amount is the one reason given."""
    customer = f"s24-no-band-{locale}"
    profile = {"age": 60, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 160}
    store_customer(client, customer, profile, {"XF-D3-75-TAB": "2026-09-01"})
    whys = _whys(client.get(f"/v1/customers/{customer}/refills?locale={locale}").get_json())
    codes = [w["code"] for w in whys]
    assert "interaction" in codes and "dose_band" not in codes, whys


def test_the_dose_band_stays_beside_an_interaction_on_another_nutrient(client):
    """The band is dropped only for the nutrient the interaction keeps out: a vitamin K
    antagonist's user of 50 who bought the 75 µg D3 reads the band for vitamin D."""
    customer = "s24-band-stays"
    profile = {"age": 50, "sex": "male", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    store_customer(client, customer, profile, {"XF-D3-75-TAB": "2026-09-01"})
    whys = _whys(client.get(f"/v1/customers/{customer}/refills?locale=en").get_json())
    assert any(w["code"] == "dose_band" for w in whys), whys
