"""Review s27 (pharmacist and hostile tester), findings F2 to F4.

F2: an empty list beside a limit that what is taken crosses said "What you already take gives
enough of what your goals call for" (the goal bones served by the D3, energy by nothing), not
that nothing safely fits. F3: the same text said "what you already take" when only the basket
served the goal. F4: `not_together` said "beside food" of a limit that does not count food."""

from __future__ import annotations

import pytest

from service.api.app import create_app


@pytest.fixture(scope="module")
def client():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0}).test_client()


def _no_items(client, body: dict) -> str:
    answer = client.post("/v1/recommendations", json={**body, "locale": "en"}).get_json()
    assert answer["items"] == [], answer["items"]
    return next(n["text"] for n in answer["notices"] if n["code"] == "no_items")


@pytest.mark.parametrize(
    "taken",
    [["XF-D3-100-CAP", "XF-D3-25-SPRAY"], ["XF-D3-20-TAB", "BL-MG-375-TAB"]],
)
def test_f2_beside_a_limit_crossed_the_empty_list_says_nothing_safely_fits(client, taken):
    profile = {
        "age": 45,
        "sex": "male",
        "goals": ["bones", "energy"],
        "current_supplements": [{"sku": sku} for sku in taken],
    }
    text = _no_items(client, {"profile": profile})
    assert "goals" not in text and "safely fits" in text, text


def test_f3_a_goal_served_by_the_basket_alone_says_with_your_basket(client):
    body = {"profile": {"age": 40, "sex": "male", "goals": ["heart"]}}
    text = _no_items(client, {**body, "basket": [{"sku": "XF-OMEGA3-1000-SG"}]})
    assert text.startswith("With your basket you get enough of what your goals"), text
    # taken, it is what you already take (as before)
    taken = {**body["profile"], "current_supplements": [{"sku": "XF-OMEGA3-1000-SG"}]}
    assert _no_items(client, {"profile": taken}).startswith("What you already take gives")


def test_f4_not_together_of_a_limit_for_supplements_only_does_not_name_food(client):
    profile = {
        "age": 45,
        "sex": "male",
        "goals": ["bones"],
        "medications": ["vitamin_k_antagonist"],
        "conditions": ["kidney_stones"],
        "current_supplements": [{"sku": "XF-D3-20-TAB"}],
    }
    for locale, food in [("en", "food"), ("nl", "voeding"), ("de", "Ernährung")]:
        answer = client.post(
            "/v1/recommendations", json={"profile": profile, "locale": locale}
        ).get_json()
        (notice,) = [n for n in answer["notices"] if n["code"] == "not_together:magnesium_mg"]
        assert food not in notice["text"], notice["text"]
        assert "250" in notice["text"] or "275" in notice["text"]


@pytest.mark.parametrize("path", ["/v1/recommendations", "/v1/intake/check"])
def test_f5_a_body_declared_in_another_charset_is_415(client, path):
    """Review s27 F5 (hostile): `application/json; charset=latin-1` was read as UTF-8 and
    answered; JSON is UTF-8 (RFC 8259 8.1), so a body declared otherwise is refused."""
    body = b'{"profile": {"age": 40}}'
    for charset in ("latin-1", "ISO-8859-1", "utf-16"):
        response = client.post(path, data=body, content_type=f"application/json; charset={charset}")
        assert response.status_code == 415, (charset, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "unsupported_media_type" and charset in error["message"]
    for charset in ("utf-8", "UTF-8", "utf8"):
        response = client.post(path, data=body, content_type=f"application/json; charset={charset}")
        assert response.status_code == 200, (charset, response.get_json())
