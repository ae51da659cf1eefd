"""Session 39: reviews of main as stop 43 landed it.

s39b (a hostile tester of the merchandiser tooling): a rule file could vanish, and an exclude
rule could stop excluding, without `rules check`, lint or the hot reload saying a word."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from service.cli import main

from .conftest import dated_client, memory_app
from .oracle import PRODUCTS
from .test_s31b_data import app_for, check

ROOT = Path(__file__).resolve().parents[1]
K_ROLES = ("vitamin_k1_ug", "vitamin_k2_ug")


def _gives_k(answer: dict) -> list[str]:
    return [
        i["sku"]
        for i in answer["items"]
        if any(PRODUCTS[i["sku"]]["nutrients_per_serving"].get(k, 0) > 0 for k in K_ROLES)
    ]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- review s39b F2 (unsafe)
class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_an_exclude_rule_whose_condition_fails_still_excludes(data_copy) -> None:
    """s39b F2: `100 / (profile.age - 15)` in the children's vitamin K exclusion passes `rules
    check` (no sample profile is 15); at 15 the division fails, the condition counted as false
    and a boy of 15 with the goal bones got K2 drops first. An exclude rule's failing condition
    now holds (its products stay out), and the failure is logged."""
    _edit(
        data_copy.rules / "merchandising" / "risk_groups.yaml",
        'when: "profile.age < 18 && !(has(profile.higher_dose_advised)',
        'when: "profile.age < 18 && 100 / (profile.age - 15) != 1000 && '
        "!(has(profile.higher_dose_advised)",
    )
    body = {"profile": {"age": 15, "country": "NL", "goals": ["bones"]}, "locale": "en"}
    kept, logger = _Kept(), logging.getLogger("dosewise.core")
    logger.addHandler(kept)  # logged once per process: at load (the required rules' example)
    try:
        client = memory_app(data=data_copy).test_client()
        answer = client.post("/v1/recommendations", json=body).get_json()
    finally:
        logger.removeHandler(kept)
    assert answer["items"], answer
    assert _gives_k(answer) == [], answer["items"]
    failed = [m for m in kept.messages if "rule_condition_failed" in m]
    assert any("children-no-vitamin-k-nobody-advised" in m for m in failed), failed
    body["profile"]["age"] = 16  # the condition evaluates: the rule works as shipped
    assert _gives_k(client.post("/v1/recommendations", json=body).get_json()) == []


# ---------------------------------------------------------------- review s39b F1 (unsafe)
BOY_15 = {"profile": {"age": 15, "country": "NL", "goals": ["bones"]}, "locale": "en"}


def _lint(paths, target=None):
    args = ["--catalog", str(paths.catalog), "--rules", str(paths.rules)]
    return CliRunner().invoke(
        main, ["rules", "lint", *([str(target)] if target else []), *args], catch_exceptions=False
    )


@pytest.mark.parametrize("how", ["renamed to .yml", "deleted", "a folder in its place"])
def test_a_rule_file_that_goes_missing_is_refused_and_the_last_good_rules_serve(data_copy, how):
    """s39b F1: risk_groups.yaml renamed to .yml, deleted, or a folder in its place passed
    `rules check` ("ok: ... 3 rules"), lint and the hot reload; a boy of 15 with the goal bones
    was offered K2 drops first (children-no-vitamin-k-nobody-advised gone). The rules
    required_rules.yaml names must be held: the set is refused, with the file and why, and
    the last good rules keep serving."""
    client = app_for(data_copy).test_client()
    before = client.post("/v1/recommendations", json=BOY_15).get_json()
    assert before["items"] and _gives_k(before) == [], before
    path = data_copy.merchandising_dir / "risk_groups.yaml"
    if how == "renamed to .yml":
        path.rename(path.with_suffix(".yml"))
    elif how == "deleted":
        path.unlink()
    else:
        path.unlink()
        path.mkdir()
    reload = client.post("/v1/admin/reload")
    assert reload.status_code == 422, reload.get_json()
    findings = reload.get_json()["reload"]["findings"]
    missing = [f for f in findings if f["code"] == "required_rule"]
    assert any(f.get("rule_id") == "children-no-vitamin-k-nobody-advised" for f in missing), (
        findings
    )
    assert all("required_rules.yaml" in f["file"] for f in missing), missing
    if how != "deleted":  # the entry that would be skipped is named too
        assert any(
            f["code"] == "ignored_file"
            and f["file"].endswith("risk_groups.yml" if how[0] == "r" else "risk_groups.yaml")
            for f in findings
        ), findings
    after = client.post("/v1/recommendations", json=BOY_15).get_json()
    assert after["versions"]["rules"] == before["versions"]["rules"]
    assert [i["sku"] for i in after["items"]] == [i["sku"] for i in before["items"]]
    for out in (check(data_copy), _lint(data_copy), _lint(data_copy, data_copy.merchandising_dir)):
        assert out.exit_code == 1, out.output
        assert "required rule children-no-vitamin-k-nobody-advised" in out.output, out.output


@pytest.mark.parametrize(
    "old, new, says",
    [
        (
            "    action: exclude\n    why: made_for_men\n",
            "    action: bury\n    weight: 0.5\n",
            "its action is bury",
        ),
        (
            "    taken: child_vitamin_k\n",
            "    taken: child_vitamin_k\n    enabled: false\n",
            "disabled",
        ),
        (
            "    taken: child_vitamin_k\n",
            "    taken: child_vitamin_k\n    markets: [DE]\n",
            "markets DE",
        ),
    ],
)
def test_a_required_rule_switched_off_is_refused(data_copy, old, new, says) -> None:
    """The same rule kept but turned into a bury rule, disabled or limited to one market."""
    _edit(data_copy.merchandising_dir / "risk_groups.yaml", old, new)
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert "risk_groups.yaml" in out.output and says in out.output, out.output


# ---------------------------------------------------------------- review s39b F3
@pytest.mark.parametrize("limit", ["-1", "0"])
def test_an_upper_limit_of_zero_or_below_is_refused(data_copy, limit) -> None:
    """s39b F3: the adult vitamin D limit set to -1 (or 0) passed `rules check`; every adult was
    told that 0 µg is "more than the safe upper limit of -1 µg", and a 75-year-old lost the
    Gezondheidsraad's 20 µg (no items at all)."""
    path = data_copy.reference_dir / "upper_limits.yaml"
    old = '"15-17": 100, adult: 100, pregnancy: 100}\n        source: "EFSA 2023'
    _edit(path, old, old.replace("adult: 100", f"adult: {limit}"))
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert "upper_limits.yaml" in out.output and "greater than 0" in out.output, out.output


# ---------------------------------------------------------------- review s39a (pharmacist)
PLACEMENT_TEXTS = yaml.safe_load((ROOT / "rules" / "placements.yaml").read_text("utf-8"))["texts"]


@pytest.mark.parametrize("medicine", ["thiazide_diuretic", "digoxin"])
@pytest.mark.parametrize("placement", ["cart", "checkout"])
def test_a_cart_beside_a_warned_basket_line_says_beside_the_basket(medicine, placement) -> None:
    """s39a F4: a woman of 75 on a thiazide (or digoxin) with a calcium + D3 in her cart was
    told "we found no product that safely fits your profile and your basket", where the plain
    list offers a 10 µg D3 within the thiazide's 20 µg: the cart adds nothing more of what the
    basket gives (its interaction notice says why), which is what its no_items must say."""
    client = memory_app().test_client()
    body = {
        "profile": {"age": 75, "sex": "female", "country": "NL", "medications": [medicine]},
        "basket": [{"sku": "XF-CAD3-500-10-TAB"}],
        "locale": "en",
        "limit": 6,
    }
    plain = client.post("/v1/recommendations", json=body).get_json()
    assert plain["items"], plain  # the plain list has something safe
    answer = client.post("/v1/recommendations", json={**body, "placement": placement}).get_json()
    assert answer["items"] == [], answer
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert said.get("no_items") == PLACEMENT_TEXTS["notice_no_items_basket_only"]["en"], said
    assert any(code.startswith("interaction:") for code in said), said


PREGNANT_ON_VKA = {
    "age": 30,
    "sex": "female",
    "country": "NL",
    "life_stage": "pregnant",
    "medications": ["vitamin_k_antagonist"],
}
REGIMEN_TEXTS = yaml.safe_load((ROOT / "rules/reference/regimen_texts.yaml").read_text("utf-8"))[
    "texts"
]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_a_product_a_medicine_excludes_is_also_said_not_to_suit_pregnancy(locale, where) -> None:
    """s39a F2: a pregnant woman on a vitamin K antagonist taking a women's multivitamin (600 µg
    retinol, unsuitable in pregnancy) was told only that it contains vitamin K1, and that "a
    product with vitamin D, folic acid and iodine without vitamin K1 can suit you": untrue of
    one with retinol. The intake check named both causes."""
    texts = REGIMEN_TEXTS
    client = memory_app().test_client()
    profile = dict(PREGNANT_ON_VKA)
    line = [{"sku": "XF-MULTI-WOMEN"}]
    body = {"profile": {**profile, where: line} if where != "basket" else profile, "locale": locale}
    if where == "basket":
        body["basket"] = line
    answer = client.post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    text = said["product_not_suited:XF-MULTI-WOMEN"]
    assert texts["unsuited_life_stage_pregnant"][locale] in text, text
    assert texts["unsuited_interaction"][locale] in text, text  # the medicine still said
    without = {"nl": " zonder ", "de": " ohne ", "en": " without "}[locale]
    assert without not in text, text


TEXTS = yaml.safe_load((ROOT / "rules/reference/texts.yaml").read_text("utf-8"))["texts"]
FOOD_TEXTS = yaml.safe_load((ROOT / "rules/reference/food_intake.yaml").read_text("utf-8"))["texts"]


def _fits(template: str, text: str) -> bool:
    """`text` is `template` with its {placeholders} filled in."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.fullmatch(".+?".join(re.escape(p) for p in parts), text, re.DOTALL) is not None


BABY_DE = {
    "age": 0,
    "country": "DE",
    "current_supplements": [{"label": "D-Fluoretten 500", "nutrients": {"vitamin_d_iu": 500}}],
}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_babys_usual_vitamin_d_is_not_read_as_an_adults_excess(locale) -> None:
    """s39a F1 (and s38a F6): a German baby's 500 IE (12.5 µg, D-Fluoretten 500, the usual
    prophylaxis) was "above the safe upper limit ... we suggest nothing more until that is
    adjusted", with "up to 15 µg from ordinary food": age 0's allowance is infant formula's
    (food_intake.yaml), and breast milk gives little. The list, the intake check and a 10 µg
    item's warning now say so, and whom to ask if the baby drinks formula; nothing more with
    vitamin D is suggested, as before."""
    client = memory_app().test_client()
    answer = client.post(
        "/v1/recommendations", json={"profile": BABY_DE, "locale": locale}
    ).get_json()
    assert answer["items"] == [], answer  # nothing that adds vitamin D, as before
    said = {n["code"]: n["text"] for n in answer["notices"]}
    notice = said["above_upper_limit:vitamin_d_ug"]
    assert _fits(TEXTS["notice_above_upper_limit_food.infant"][locale], notice), notice
    check = client.post("/v1/intake/check", json={"profile": BABY_DE, "locale": locale}).get_json()
    (violation,) = check["violations"]
    assert _fits(FOOD_TEXTS["above_room.infant"][locale], violation["text"]), violation
    # a Dutch baby's 10 µg drops: the item's warning names the formula, not "ordinary food"
    baby_nl = {"profile": {"age": 0, "country": "NL"}, "locale": locale, "limit": 1}
    (item,) = client.post("/v1/recommendations", json=baby_nl).get_json()["items"]
    (warning,) = item["warnings"]
    assert _fits(TEXTS["warning_near_upper_limit_food.infant"][locale], warning["text"]), item
    # a child of 1 still reads the food allowance as ordinary food
    older = {"profile": {**BABY_DE, "age": 1}, "locale": locale}
    texts = [
        n["text"] for n in client.post("/v1/recommendations", json=older).get_json()["notices"]
    ]
    assert not any(_fits(TEXTS["notice_above_upper_limit_food.infant"][locale], t) for t in texts)


@pytest.mark.parametrize("stage", ["pregnant", "planning"])
def test_levothyroxine_in_pregnancy_is_said(stage) -> None:
    """s39a F10: a pregnant woman on levothyroxine got folic acid, vitamin D and the iodine
    notice, and nothing of what a pharmacist says first: the dose often has to go up early in
    pregnancy, and the TSH is checked as soon as she knows (levothyroxine SmPC 4.6, NHG)."""
    profile = {"age": 30, "sex": "female", "country": "NL", "medications": ["levothyroxine"]}
    profile.update({"life_stage": "pregnant"} if stage == "pregnant" else {"goals": ["pregnancy"]})
    client = memory_app().test_client()
    answer = client.post("/v1/recommendations", json={"profile": profile}).get_json()
    codes = [n["code"] for n in answer["notices"]]
    assert "interaction:levothyroxine-pregnancy" in codes, codes
    # and not outside pregnancy
    del profile["goals" if stage == "planning" else "life_stage"]
    answer = client.post("/v1/recommendations", json={"profile": profile}).get_json()
    assert "interaction:levothyroxine-pregnancy" not in [n["code"] for n in answer["notices"]]


INTERACTIONS = yaml.safe_load((ROOT / "rules/reference/interactions.yaml").read_text("utf-8"))
(K_CAUTION,) = [c for c in INTERACTIONS["cautions"] if c["id"] == "vitamin-k-blood-thinner"]


@pytest.mark.parametrize("country", ["DE", "NL"])
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_every_item_with_vitamin_k_carries_the_blood_thinner_caution(country, locale) -> None:
    """s39a F3: a German of 75 got a D3 + 50 µg K2 first with no word of blood thinners
    (BfR: 25 µg K2 per daily dose 'with an anticoagulant warning'); `medications` is optional,
    and a shopper who names none may take phenprocoumon. Every item with vitamin K carries the
    caution in the market's words; items without it carry none."""
    client = memory_app().test_client()
    profile = {"age": 75, "sex": "male", "country": country, "goals": ["bones"]}
    answer = client.post(
        "/v1/recommendations", json={"profile": profile, "locale": locale, "limit": 10}
    ).get_json()
    words = K_CAUTION["markets"][country]["text"][locale]
    with_k = set(_gives_k(answer))
    assert with_k, answer["items"]  # the case: an item with vitamin K is shown
    for item in answer["items"]:
        cautions = [w["text"] for w in item["warnings"] if w["code"].startswith("caution:")]
        assert cautions == ([words] if item["sku"] in with_k else []), item


def test_the_caution_is_not_given_beside_the_antagonists_own_notice() -> None:
    """With a vitamin K antagonist named, vitamin K is excluded (its own notice speaks); a
    product taken with it is not an item either. Another medicine named keeps the caution."""
    client = memory_app().test_client()
    profile = {"age": 75, "sex": "male", "country": "DE", "goals": ["bones"]}
    on_vka = {"profile": {**profile, "medications": ["vitamin_k_antagonist"]}, "limit": 10}
    answer = client.post("/v1/recommendations", json=on_vka).get_json()
    assert answer["items"] and _gives_k(answer) == [], answer["items"]
    other = {"profile": {**profile, "medications": ["levothyroxine"]}, "limit": 10}
    answer = client.post("/v1/recommendations", json=other).get_json()
    k_items = [i for i in answer["items"] if i["sku"] in set(_gives_k(answer))]
    assert k_items and all(
        any(w["code"] == "caution:vitamin-k-blood-thinner" for w in i["warnings"]) for i in k_items
    ), answer["items"]


def test_linting_a_whole_rules_folder_lints_it_as_the_service_loads_it(data_copy) -> None:
    """s39b F4: `rules lint rules` (the folder `rules check --rules` takes) read
    placements.yaml, refills.yaml and the reference files as rule files: 19 false errors on
    the shipped files, exit 1. It lints the set as --rules does; a real error still shows."""
    out = _lint(data_copy, data_copy.rules)
    assert out.exit_code == 0 and "0 error(s)" in out.output, out.output
    _edit(data_copy.merchandising_dir / "campaigns.yaml", "action: boost", "action: boots")
    out = _lint(data_copy, data_copy.rules)
    assert out.exit_code == 1 and "campaigns.yaml" in out.output, out.output


def test_a_reload_with_a_wrong_body_does_not_say_the_files_were_refused() -> None:
    """s39b F5: POST /v1/admin/reload with {"force": true} answered 422 "status": "refused",
    the word for rule files refused at reload: a monitor reading it reported broken files."""
    client = memory_app().test_client()
    answer = client.post("/v1/admin/reload", json={"force": True})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["status"] == "invalid_request", body
    assert body["error"]["fields"] == {"force": ["unknown field"]}, body
    assert client.post("/v1/admin/reload").get_json()["status"] == "reloaded"


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/v1/admin/refresh?force=1"),
        ("post", "/v1/admin/refills?path=../../etc/passwd"),
        ("get", "/v1/admin/refresh?a=1&a=2"),
        ("get", "/v1/admin/refills?run_id=a&run_id=b"),
        ("get", "/v1/admin/refresh?runid=x"),
    ],
)
def test_the_batch_jobs_refuse_a_query_they_do_not_take(redis_url, method, path) -> None:
    """s39b F6: the batch jobs' endpoints ignored unknown and repeated query parameters (a
    POST ?force=1 started a refresh that was not forced), which every other route refuses."""
    client = dated_client(redis_url, dt.date(2026, 12, 7))
    answer = getattr(client, method)(path)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "validation_failed", answer.get_json()
    assert client.get("/v1/admin/refresh?run_id=nothing-yet").status_code == 404


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_a_medicines_dose_typed_in_is_not_called_a_supplement_taken(locale, where) -> None:
    """s39a F6: a typed-in 45 mg MK-4 (a prescription medicine in Japan, domain.md) was "you
    already take vitamin K2 (45000 µg a day) ... no advised amount ... we suggest no more",
    while the same product by SKU is "not allowed as a food supplement". Above
    product_maxima.yaml medicine_above the notice says it is a medicine's dose."""
    line = [{"label": "Glakay 45 mg", "nutrients": {"vitamin_k2_ug": 45000}}]
    profile = {"age": 60, "sex": "female", "country": "NL", "conditions": ["osteoporosis"]}
    body = {"profile": {**profile, **({where: line} if where != "basket" else {})}}
    body.update({"basket": line} if where == "basket" else {}, locale=locale)
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    key = "notice_already_taken" + ("_basket" if where == "basket" else "") + ".medicine"
    assert _fits(TEXTS[key][locale], said["already_covered:vitamin_k2_ug"]), said
    # a supplement's 200 µg stays "already taken"
    line[0]["nutrients"]["vitamin_k2_ug"] = 200
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert not _fits(TEXTS[key][locale], said["already_covered:vitamin_k2_ug"]), said


@pytest.mark.parametrize("placement", [None, "cart"])
def test_a_suitable_product_is_not_replaced_for_a_total_only_an_unsuitable_one_makes(placement):
    """s39a F7: a pregnant woman with a women's multivitamin (10 µg D, retinol: unsuitable in
    pregnancy) and suitable 20 µg D3 + K2 drops in the cart (30 µg against 25) was told to
    take the drops out and buy a 20 µg D3 instead, with folic acid and iodine for the
    multivitamin. Once the multivitamin stops, the drops are within 25 µg: only the
    multivitamin is replaced."""
    body = {
        "profile": {
            "age": 40,
            "country": "DE",
            "sex": "female",
            "life_stage": "pregnant",
            "current_supplements": [{"sku": "XF-MULTI-WOMEN"}],
        },
        "basket": [{"sku": "XF-D3K2-DROPS"}],
        "locale": "en",
    }
    if placement:
        body["placement"] = placement
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    codes = [n["code"] for n in answer["notices"]]
    assert "instead:XF-MULTI-WOMEN" in codes, codes
    assert "instead:XF-D3K2-DROPS" not in codes, codes
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert "XTRA FUEL Vitamin D3 + K2 Drops" not in said["instead:XF-MULTI-WOMEN"], said
    assert "product_not_suited:XF-MULTI-WOMEN" in codes, codes


@pytest.mark.parametrize(
    "old, new, says",
    [
        (
            'when: "profile.age < 18 && !(has(profile.higher_dose_advised)',
            'when: "false && !(has(profile.higher_dose_advised)',
            "no longer keeps XF-D3K2-DROPS out",
        ),
        (
            'products: "product.nutrients.vitamin_k1_ug + product.nutrients.vitamin_k2_ug > 0.0"',
            'products: "false"',
            "no longer keeps XF-D3K2-DROPS out",
        ),
        ("    taken: child_vitamin_k\n", "", "its `taken` must stay child_vitamin_k"),
    ],
)
def test_a_required_rule_that_no_longer_excludes_its_example_is_refused(
    data_copy, old, new, says
) -> None:
    """s39c F1 (unsafe): `when: "false"` (or `products: "false"`) on the children's vitamin K
    exclusion kept the rule, an exclude rule always on, and passed rules check and the
    reload; a German boy of 15 with the goal bones got K2 drops first again. Each required
    rule has an example (required_rules.yaml) it must still keep out, and its `taken`."""
    client = app_for(data_copy).test_client()
    _edit(data_copy.merchandising_dir / "risk_groups.yaml", old, new)
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert says in out.output and "risk_groups.yaml" in out.output, out.output
    reload = client.post("/v1/admin/reload")
    assert reload.status_code == 422, reload.get_json()
    answer = client.post("/v1/recommendations", json=BOY_15).get_json()
    assert answer["items"] and _gives_k(answer) == [], answer["items"]


def test_a_failing_exclude_condition_calls_nothing_taken_unsuitable(data_copy) -> None:
    """s39c F3: with an exclude rule (with `taken`) whose condition fails for a pregnant woman
    of 33, she was told her pregnancy multivitamin "does not suit" and to stop it. On a failing
    condition the rule keeps its products out of what is offered only."""
    _edit(
        data_copy.merchandising_dir / "risk_groups.yaml",
        """when: "profile.life_stage == 'none' && (profile.sex == 'male'""",
        """when: "100 / (profile.age - 33) == 7 || profile.life_stage == 'none' && """
        """(profile.sex == 'male'""",
    )
    client = memory_app(data=data_copy).test_client()
    profile = {
        "age": 33,
        "sex": "female",
        "country": "NL",
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}],
    }
    answer = client.post("/v1/recommendations", json={"profile": profile}).get_json()
    codes = [n["code"] for n in answer["notices"]]
    assert "product_not_suited:XF-MULTI-PREGNANCY" not in codes, answer["notices"]
    assert not any(c.startswith("instead:") for c in codes), codes


@pytest.mark.parametrize(
    "body",
    [
        {
            "profile": {
                "age": 85,
                "sex": "female",
                "country": "DE",
                "conditions": ["hypercalcaemia"],
                "goals": ["energy", "pregnancy"],
            },
            "placement": "cart",
            "basket": [{"sku": "XF-MULTI-50PLUS"}, {"sku": "NV-CA-400-CHEW"}],
        },
        {
            "profile": {
                "age": 5,
                "sex": "male",
                "country": "NL",
                "medications": ["anticonvulsant"],
                "goals": ["muscles", "immunity"],
            },
            "placement": "checkout",
            "basket": [{"sku": "NV-COD-LIVER-OIL"}],
        },
    ],
)
def test_a_cart_never_says_beside_your_basket_of_what_we_advise_against(body) -> None:
    """s39c F2: after s39a F4's change, a woman of 85 with hypercalcaemia and a 50+
    multivitamin and calcium chews in the cart (both advised against), and a boy of 5 with
    cod-liver oil not meant for his age, were told "Beside what your basket gives, we have
    nothing else to suggest", as if the basket were fine."""
    body = {**body, "locale": "en"}
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert any(c.startswith("product_not_suited:") for c in said), said  # the case
    beside = [
        PLACEMENT_TEXTS[k]["en"] for k in ("notice_no_items_basket", "notice_no_items_basket_only")
    ]
    assert said.get("no_items") not in beside, said


RTEXTS = REGIMEN_TEXTS


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_woman_planning_a_pregnancy_is_told_of_planning_one(locale) -> None:
    """s39c F7: a woman who wants to become pregnant (held to pregnancy's maxima) was told her
    women's multivitamin is "not suitable during pregnancy or breastfeeding": neither is true
    of her. The texts name her own stage, with or without a medicine's reason beside it."""
    client = memory_app().test_client()
    profile = {
        "age": 30,
        "sex": "female",
        "country": "NL",
        "goals": ["pregnancy"],
        "current_supplements": [{"sku": "XF-MULTI-WOMEN"}],
    }
    answer = client.post("/v1/recommendations", json={"profile": profile, "locale": locale})
    said = {n["code"]: n["text"] for n in answer.get_json()["notices"]}
    text = said["product_not_suited:XF-MULTI-WOMEN"]
    template = TEXTS["notice_product_life_stage_taken.planning"][locale] + " {more}"
    assert _fits(template, text), text
    vka = {**profile, "medications": ["vitamin_k_antagonist"]}
    answer = client.post("/v1/recommendations", json={"profile": vka, "locale": locale})
    said = {n["code"]: n["text"] for n in answer.get_json()["notices"]}
    assert (
        RTEXTS["unsuited_life_stage_planning"][locale] in said["product_not_suited:XF-MULTI-WOMEN"]
    )


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_babys_other_vitamin_d_texts_name_the_formula_too(locale) -> None:
    """s39c F5: beside s39a F1's texts, a breastfed baby on 5 µg was told food brings every
    product above the limit, and 30 µg drops (above the limit by themselves) were weighed
    against "ordinary food"."""
    client = memory_app().test_client()

    def notices(amount: float) -> dict[str, str]:
        line = {"label": "drops", "nutrients": {"vitamin_d_ug": amount}}
        profile = {"age": 0, "country": "NL", "current_supplements": [line]}
        body = {"profile": profile, "locale": locale}
        answer = client.post("/v1/recommendations", json=body).get_json()
        return {n["code"]: n["text"] for n in answer["notices"]}

    assert _fits(
        TEXTS["notice_advice_unmet_room.infant"][locale], notices(5)["advice_unmet:vitamin_d_ug"]
    )
    said = notices(30)["above_upper_limit:vitamin_d_ug"]
    assert _fits(TEXTS["notice_above_upper_limit_food_nothing.infant"][locale], said), said


def test_a_product_a_medicine_excludes_and_an_allergy_too_is_not_half_replaced() -> None:
    """s39c F8: beside a fish allergy, a D3 + K2 fish softgel a medicine excludes was followed
    by "a product with vitamin D without vitamin K2 can suit you": without K2 it still has
    fish."""
    profile = {
        **PREGNANT_ON_VKA,
        "allergies": ["fish"],
        "current_supplements": [{"sku": "NV-D3K2-FISH-SG"}],
    }
    body = {"profile": profile, "locale": "en"}
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert " without " not in said["product_not_suited:NV-D3K2-FISH-SG"], said


@pytest.mark.parametrize("where", ["product_page", "cart"])
def test_the_vitamin_k_being_bought_carries_the_caution_too(where) -> None:
    """s39c F4: the K2 on the product page and in the cart said nothing of blood thinners,
    while the items beside it did."""
    body = {"profile": {"age": 75, "sex": "female", "country": "DE"}, "locale": "de"}
    body["placement"] = where
    if where == "cart":
        body["basket"] = [{"sku": "XF-K2-MK7-100-CAP"}]
    else:
        body["product_sku"] = "XF-K2-MK7-100-CAP"
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    words = K_CAUTION["markets"]["DE"]["text"]["de"]
    assert said.get("caution:vitamin-k-blood-thinner", "").endswith(words), said
    assert "XTRA FUEL Vitamin K2 MK-7 100 µg" in said["caution:vitamin-k-blood-thinner"]
    body["profile"]["medications"] = ["vitamin_k_antagonist"]
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    assert not any(n["code"].startswith("caution:") for n in answer["notices"])


def test_linting_one_rule_file_says_a_required_rule_it_switches_off(data_copy) -> None:
    """s39c F6: `rules lint risk_groups.yaml` passed a required rule turned into a bury rule
    in that file, which rules check and the reload refuse."""
    path = data_copy.merchandising_dir / "risk_groups.yaml"
    _edit(
        path, "    action: exclude\n    why: made_for_men\n", "    action: bury\n    weight: 0.5\n"
    )
    out = _lint(data_copy, path)
    assert out.exit_code == 1 and "its action is bury" in out.output, out.output
    out = _lint(data_copy, data_copy.merchandising_dir / "campaigns.yaml")
    assert out.exit_code == 0, out.output  # another file says nothing of it


MAXIMA_TEXTS = yaml.safe_load((ROOT / "rules/reference/product_maxima.yaml").read_text("utf-8"))[
    "texts"
]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_the_life_stage_maximum_is_said_of_her_own_stage(locale) -> None:
    """s39d F2, F3: a woman planning a pregnancy was told 50 µg is "more than suits pregnancy
    or breastfeeding", and one who breastfeeds and plans another that a retinol product is
    "more than suits pregnancy and breastfeeding" (0 µg is pregnancy's maximum, which holds for
    her as planning one). The list's warning and the intake check name her own stage."""
    client = memory_app().test_client()
    planning = {"age": 30, "sex": "female", "country": "NL", "goals": ["pregnancy"]}
    body = {"profile": {**planning, "current_supplements": [{"sku": "XF-D3-50-CAP"}]}}
    answer = client.post("/v1/recommendations", json={**body, "locale": locale}).get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    template = TEXTS["notice_intake_life_stage_maximum.planning"][locale]
    assert _fits(template, said["intake_warning:vitamin_d_ug"]), said
    feeding = {**planning, "life_stage": "breastfeeding"}
    body = {"profile": {**feeding, "current_supplements": [{"sku": "VL-VITA-800-CAP"}]}}
    check = client.post("/v1/intake/check", json={**body, "locale": locale}).get_json()
    texts = [w["text"] for w in check["warnings"] if w["code"] == "life_stage_maximum"]
    assert texts and _fits(MAXIMA_TEXTS["life_stage_maximum.planning"][locale], texts[0]), check
