"""Session 29: customer texts whose verb agreed with a product name ("X Tablets does not suit
your profile", "X Capsules, which no longer fits", nl "..., dat", de "..., das") or with a
list of products ("{products} gives"), in all three locales. Product names can be plural
("Tablets", "Capsules", "Drops", "Softgels"): each text is built here for such a name and must
carry the new wording, never the old. Texts this session found no request to bring out with a
product name (the bare not-suited texts, for a product a shop rule alone keeps out; the
refill held back, review s7 P4, which review 9b's replacements mostly pre-empt) are rendered
from the loaded texts with the values the service passes.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import memory_app, store_customer
from .oracle import PRODUCTS
from .test_s22_review import VEGAN_ON_DOCTORS_100

LOCALES = ["nl", "de", "en"]
PLURAL = {
    "en": ("Tablets", "Capsules", "Drops", "Softgels"),
    "nl": ("Tabletten", "Capsules", "Druppels", "Softgels"),
    "de": ("Tabletten", "Kapseln", "Tropfen", "Softgels"),
}
NOT_SUITED = {
    "nl": "Niet geschikt voor je profiel: ",
    "de": "Für Ihr Profil nicht geeignet: ",
    "en": "Not suited to your profile: ",
}
PAGE = {"nl": "het product op deze pagina", "de": "das Produkt auf dieser Seite"}
PAGE["en"] = "the product on this page"
VITAMIN_D = {"nl": "vitamine D", "de": "Vitamin D", "en": "vitamin D"}
IRON = {"nl": "ijzer", "de": "Eisen", "en": "iron"}
# the old verbs after the product's name (or the page's words)
OLD_AFTER = {
    "nl": (" past ", " geeft ", " zou een ", " bevat "),
    "de": (" passt ", " liefert ", " wäre ", " enthält "),
    "en": (" does not suit", " gives ", " already gives", " is ", " has ", " contains "),
}


def _post(client, body: dict) -> dict:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.data
    return response.get_json()


def _notice(answer: dict, code: str) -> str:
    (text,) = [n["text"] for n in answer["notices"] if n["code"] == code]
    return text


def _name(sku: str, locale: str) -> str:
    name = PRODUCTS[sku]["name"][locale]
    assert name.endswith(PLURAL[locale]), name  # the case this file is about
    return name


def _no_old_verb(text: str, subject: str, locale: str) -> None:
    for verb in OLD_AFTER[locale]:
        assert f"{subject}{verb}" not in text, text
        assert f"{subject[:1].upper()}{subject[1:]}{verb}" not in text, text


# ---------------------------------------------------------------- placements.yaml
@pytest.mark.parametrize("locale", LOCALES)
def test_a_plural_product_that_does_not_suit_is_named_after_the_words(client, locale):
    """notice_page_product_not_suited_list_why (home) and _why (product page)."""
    name = _name("XF-D3K2-TAB", locale)
    body = {"profile": {"age": 40}, "product_sku": "XF-D3K2-TAB", "locale": locale}
    home = _notice(_post(client, {**body, "placement": "home"}), "page_product_not_suited")
    assert home.startswith(f"{NOT_SUITED[locale]}{name} ("), home
    _no_old_verb(home, name, locale)
    page = _notice(_post(client, {**body, "placement": "product_page"}), "page_product_not_suited")
    assert page.startswith(f"{NOT_SUITED[locale]}{PAGE[locale]} ("), page
    _no_old_verb(page, PAGE[locale], locale)


@pytest.mark.parametrize("suffix", ["", "_alternatives", "_list"])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_bare_not_suited_texts_name_a_plural_product_after_the_words(locale, suffix):
    """A product a shop rule alone keeps out (no reason in words): the bare texts, and the
    _alternatives ones (said by the alternatives endpoint, on the page's words), with a name."""
    placements = memory_app().extensions["dosewise"].snapshot.placements
    name = _name("XF-D3-20-TAB", locale)
    key = f"notice_page_product_not_suited{suffix}"
    for text in (
        placements.page_text(key, locale, False, name),
        placements.page_text(f"{key}_why", locale, False, name, reasons="x"),
    ):
        assert text.startswith(f"{NOT_SUITED[locale]}{name}"), text
        _no_old_verb(text, name, locale)


ADDS = {
    "nl": "wat je niet uit {product} krijgt",
    "de": "was Sie durch {product} nicht erhalten",
    "en": "which you do not get from {product}",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_what_a_complement_adds_beside_a_plural_product(client, locale):
    """adds_beside_product: the cart asked about the iron capsules (empty basket)."""
    name = _name("XF-IRON-14-CAP", locale)
    body = {
        "profile": {"age": 62, "sex": "female"},
        "placement": "cart",
        "product_sku": "XF-IRON-14-CAP",
        "locale": locale,
    }
    answer = _post(client, body)
    adds = [
        r["text"] for i in answer["items"] for r in i["reasons"] if r["code"] == "adds_to_basket"
    ]
    assert adds, answer
    for text in adds:
        assert ADDS[locale].format(product=name) in text, text
        _no_old_verb(text, name, locale)
        assert f"{name} niet geeft" not in text and f"{name} nicht enthält" not in text, text


COVERS = {
    "nl": "Met {product} krijg je al vitamine D",
    "de": "Wenn Sie {product} einnehmen, erhalten Sie damit bereits Vitamin D",
    "en": "With {product} you already get vitamin D",
}


@pytest.mark.parametrize("sku", ["XF-D3-20-TAB", "XF-D3-25-SG", "XF-D3K2-DROPS"])
@pytest.mark.parametrize("locale", LOCALES)
def test_what_a_plural_product_asked_about_covers(client, locale, sku):
    """notice_no_items_page_covers off a product page (the e-mail names the product)."""
    name = _name(sku, locale)
    body = {"profile": {"age": 72}, "placement": "email", "product_sku": sku, "locale": locale}
    text = _notice(_post(client, body), "no_items")
    assert text.startswith(COVERS[locale].format(product=name)), text
    _no_old_verb(text, name, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_covers_text_with_a_list_names_a_plural_product(locale):
    """notice_page_product_covers: the same words as above with items in the list."""
    placements = memory_app().extensions["dosewise"].snapshot.placements
    name = _name("XF-D3-20-TAB", locale)
    text = placements.page_text(
        "notice_page_product_covers", locale, False, name, nutrients=VITAMIN_D[locale]
    )
    assert text.startswith(COVERS[locale].format(product=name)), text
    _no_old_verb(text, name, locale)


NOT_INDICATED = {
    "nl": "Met {product} zou je ijzer nemen;",
    "de": "Wenn Sie {product} einnehmen, erhalten Sie Eisen;",
    "en": "With {product} you would take iron,",
}
SECOND = {
    "nl": "Met {product} zou je een tweede product met vitamine D hebben",
    "de": "Wenn Sie {product} dazunehmen, wäre das ein zweites Produkt mit Vitamin D",
    "en": "{product} would be a second product with vitamin D",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_page_product_notices_in_words_that_suit_a_plural_name(client, locale):
    """notice_page_product_not_indicated and _second_source are said on the product page
    ("the product on this page"); the German words follow no dative preposition, and the
    same texts with a plural name (as page_text would put it) agree."""
    iron = {"profile": {"age": 62, "sex": "female"}, "placement": "product_page"}
    answer = _post(client, {**iron, "product_sku": "XF-IRON-14-CAP", "locale": locale})
    text = _notice(answer, "page_product_not_indicated")
    page = PAGE[locale]
    assert text.startswith(_capital(NOT_INDICATED[locale].format(product=page))), text
    _no_old_verb(text, page, locale)
    child = {"age": 5, "country": "DE", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    body = {"profile": child, "placement": "product_page", "product_sku": "KV-D3-KIDS-GUMMY"}
    text = _notice(_post(client, {**body, "locale": locale}), "page_product_second_source")
    assert text.startswith(_capital(SECOND[locale].format(product=page))), text
    assert "mit das Produkt" not in text and "Mit das Produkt" not in text, text
    placements = memory_app().extensions["dosewise"].snapshot.placements
    name = _name("XF-D3-20-TAB", locale)
    for key, expected, nutrients in (
        ("notice_page_product_second_source", SECOND, VITAMIN_D),
        ("notice_page_product_not_indicated", NOT_INDICATED, IRON),
    ):
        text = placements.page_text(key, locale, False, name, nutrients=nutrients[locale])
        assert text.startswith(expected[locale].format(product=name)), text
        _no_old_verb(text, name, locale)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


HELD_BACK = {
    "nl": ("samen met wat je dan nog neemt ({products}) zou het", "welke van deze producten"),
    "de": (
        "Zusammen mit dem, was Sie dann noch einnehmen ({products}), ergäbe es",
        "welches dieser Produkte",
    ),
    "en": (
        "together with {products}, which you still take then, it would",
        "which of these products",
    ),
}


@pytest.mark.parametrize("midwife", ["", "_midwife"])
@pytest.mark.parametrize("locale", LOCALES)
def test_a_refill_held_back_beside_plural_products(locale, midwife):
    """notice_refill_held_back: no "dat"/"das" after {products} (two plural names here), and
    "which of the two" only fitted one product beside the held-back one."""
    placements = memory_app().extensions["dosewise"].snapshot.placements
    products = f"{_name('XF-D3-25-SG', locale)} / {_name('XF-D3K2-DROPS', locale)}"
    text = placements.text(
        f"notice_refill_held_back{midwife}",
        locale,
        product=_name("XF-D3-20-TAB", locale),
        date="4-12-2026",
        products=products,
        nutrient="D",
    )
    together, which = HELD_BACK[locale]
    assert together.format(products=products) in text and which in text, text
    assert f"{products}, dat " not in text and f"{products}, das " not in text, text
    assert "van de twee" not in text and "der beiden" not in text, text
    assert "of the two" not in text, text


# ---------------------------------------------------------------- refills.yaml
REPLACES = {
    "nl": "In plaats van {name}, omdat dat product niet meer bij je profiel past.",
    "de": "Anstelle von {name}, da dieses Produkt nicht mehr zu Ihrem Profil passt.",
    "en": "Instead of {name}, as that product no longer fits your profile.",
}
REPLACES_OLD = {"nl": "{name}, dat ", "de": "{name}, das ", "en": "{name}, which "}


@pytest.mark.parametrize("placement", ["refills", "email"])
@pytest.mark.parametrize("locale", LOCALES)
def test_a_replaced_plural_product_no_longer_fits_without_a_relative_clause(locale, placement):
    """reason_replaces: the vegan D3 + K2 capsules after a vitamin K antagonist."""
    client = memory_app().test_client()
    customer = f"s29-replaces-{locale}-{placement}"
    profile = {"age": 72, "medications": ["vitamin_k_antagonist"]}
    store_customer(client, customer, profile, {"XF-D3K2-VEGAN-CAP": "2026-08-01"})
    name = _name("XF-D3K2-VEGAN-CAP", locale)
    query = (
        {"locale": locale} if placement == "refills" else {"locale": locale, "placement": "email"}
    )
    path = f"/v1/customers/{customer}/" + (
        "refills" if placement == "refills" else "recommendations"
    )
    body = client.get(path, query_string=query).get_json()
    items = body["reorder"]["items"] if placement == "refills" else body["items"]
    texts = [r["text"] for i in items for r in i["reasons"] if r["code"] == "replaces"]
    assert texts == [REPLACES[locale].format(name=name)], texts
    assert REPLACES_OLD[locale].format(name=name) not in texts[0]


STOCK = {
    "nl": "In plaats van {name}, omdat we dat product nu niet kunnen leveren.",
    "de": "Anstelle von {name}, da wir dieses Produkt derzeit nicht liefern können.",
    "en": "Instead of {name}, as we cannot supply that product now.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_plural_product_out_of_stock_is_replaced_without_a_relative_clause(locale):
    """reason_replaces_stock: re-review 22b M5's vegan, her 75 µg capsules out of stock."""
    client = memory_app().test_client()
    customer = f"s29-stock-{locale}"
    store_customer(client, customer, VEGAN_ON_DOCTORS_100, {"GR-D3-75-VCAP": "2026-08-01"})
    name = _name("GR-D3-75-VCAP", locale)
    refills = client.get(f"/v1/customers/{customer}/refills?locale={locale}").get_json()
    email = client.get(
        f"/v1/customers/{customer}/recommendations?placement=email&locale={locale}"
    ).get_json()
    items = refills["reorder"]["items"] + email["items"]
    texts = [r["text"] for i in items for r in i["reasons"] if r["code"] == "replaces"]
    assert texts == [STOCK[locale].format(name=name)] * 2, texts
    assert all(REPLACES_OLD[locale].format(name=name) not in t for t in texts)


ADDS_REFILL = {
    "nl": "wat je niet uit {name} kreeg.",
    "de": "was Sie durch {name} nicht erhielten.",
    "en": "which {name} did not.",
}


def test_a_replacement_adds_what_plural_capsules_did_not_give():
    """reason_adds (review s8 Q3's case: the 100 µg D3 capsules replaced by D3 + K2 drops)."""
    from service.core.profile import Profile
    from service.core.refills import Decision, RefillPlan, Supply, refill_config, render_plan
    from service.core.refills.plan import _evaluate

    recommender = memory_app().extensions["dosewise"]
    snapshot = recommender.snapshot
    config = refill_config(recommender.paths.rules, snapshot.reference)
    catalog, today = snapshot.catalog, dt.date(2026, 11, 28)
    profile = Profile.from_dict({"age": 45, "sex": "male", "country": "DE"})
    ev = _evaluate(snapshot, profile, [], today, None, None)
    old, new = catalog.index["XF-D3-100-CAP"], catalog.index["XF-D3K2-DROPS"]
    supply = Supply("XF-D3-100-CAP", old, today, today, 1, 1, 1.0, today)
    decision = Decision(supply, "replace", new, ["dose_band"], ev, {"dose_band": ["vitamin_d_ug"]})
    plan = RefillPlan(today, [supply], [supply], [decision], ev)
    for locale in LOCALES:
        name = _name("XF-D3-100-CAP", locale)
        item = render_plan(snapshot, config, plan, locale)["reorder"]["items"][0]
        first = item["reasons"][0]
        assert first["code"] == "adds:vitamin_k2_ug", item["reasons"]
        assert first["text"].endswith(ADDS_REFILL[locale].format(name=name)), first["text"]
        assert f"{name} niet gaf" not in first["text"], first["text"]
        assert f"{name} nicht enthielt" not in first["text"], first["text"]


# ---------------------------------------------------------------- texts.yaml
RETINOL = [
    {"label": "Vitamin A Drops", "nutrients": {"vitamin_a_ug": 700}},
    {"label": "Retinol Capsules", "nutrients": {"vitamin_a_ug": 800}},
]
LIFE_STAGE_NONE = {
    "nl": "De hoeveelheid vitamine A (retinol) uit {products} is {amount} µg per dag;",
    "de": "Die Menge Vitamin A (Retinol) aus {products} beträgt {amount} µg pro Tag;",
    "en": "The vitamin A (retinol) from {products} comes to {amount} µg a day;",
}
AND = {"nl": " en ", "de": " und ", "en": " and "}


@pytest.mark.parametrize("lines", [1, 2])
@pytest.mark.parametrize("locale", LOCALES)
def test_retinol_in_pregnancy_from_plural_products(client, locale, lines):
    """notice_intake_life_stage_maximum_none: "{products} gives" with two label lines."""
    taken = RETINOL[:lines]
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant", "current_supplements": taken}
    text = _notice(
        _post(client, {"profile": profile, "locale": locale}), "intake_warning:vitamin_a_ug"
    )
    products = AND[locale].join(line["label"] for line in taken)
    amount = sum(line["nutrients"]["vitamin_a_ug"] for line in taken)
    expected = LIFE_STAGE_NONE[locale].format(products=products, amount=amount)
    assert text.startswith(expected), text
    for verb in ("gives", "geeft", "liefert"):
        assert f"{products} {verb}" not in text, text


CLOSE = {
    "nl": "zou je uit {product} alleen al 50 µg vitamine D per dag krijgen.",
    "de": "würden Sie durch {product} allein 50 µg Vitamin D pro Tag erhalten.",
    "en": "you would get 50 µg of vitamin D a day from {product} alone.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_one_plural_product_instead_of_what_is_taken(client, locale):
    """doctor_short_close_instead: a doctor's 50 µg beside the 20 µg tablets taken names the
    50 µg softgels that alone come closer (review 12 F7, F19)."""
    profile = {
        "age": 40,
        "higher_dose_advised": {"vitamin_d_ug": 50},
        "current_supplements": [{"sku": "XF-D3-20-TAB"}],
    }
    text = _notice(
        _post(client, {"profile": profile, "locale": locale}), "doctor_dose_short:vitamin_d_ug"
    )
    names = [p["name"][locale] for p in PRODUCTS.values() if p["name"][locale] in text]
    (name,) = [n for n in names if n.endswith(PLURAL[locale])]
    assert CLOSE[locale].format(product=name) in text, text
    assert f"{name} alone gives" not in text, text
    assert f"geeft {name}" not in text and f"liefert {name}" not in text, text
