"""The core ranks with a learned model only through the protocols of service/core/learned.py,
which the factory fills from service/learning: these pin that the hand-over keeps working."""

from __future__ import annotations

from service.contract.schemas import RecommendationRequestSchema
from service.core.ranking import recommend
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths
from service.factory import build, read_config
from service.learning.serving import LEARNING

from .conftest import CATALOG, RULES, TODAY
from .test_experiments import _random_model

BODY = {"profile": {"age": 70, "country": "NL"}, "limit": 5, "explain": True}


def _learned(answer: dict) -> list[bool]:
    return ["learned" in item["explain"] for item in answer["items"]]


def test_a_model_brought_by_an_arm_ranks_though_none_serves(tmp_path):
    """A recommender with learning but no model (cold start) keeps `learning` on its snapshot,
    so an experiment's arm that brings a model version ranks and explains with it."""
    core = Recommender(
        DataPaths(CATALOG, RULES), cache_size=0, reload_interval=0, learning=LEARNING
    )
    assert core.snapshot.model is None and core.snapshot.learning is LEARNING
    request = RecommendationRequestSchema().load(BODY)
    arm = core.snapshot.with_model(_random_model(3, "random-3"))
    answer = recommend(arm, request, TODAY)
    assert answer["items"] and all(_learned(answer))
    assert answer["versions"]["model"] == "random-3"


def test_without_learning_the_transparent_score_ranks_alone():
    core = Recommender(DataPaths(CATALOG, RULES), cache_size=0, reload_interval=0)
    request = RecommendationRequestSchema().load(BODY)
    arm = core.snapshot.with_model(_random_model(3, "random-3"))
    answer = recommend(arm, request, TODAY)
    assert answer["items"] and not any(_learned(answer))


def test_the_factory_hands_the_model_holder_and_learning_to_the_recommender(tmp_path):
    config = read_config(
        {"CATALOG_PATH": str(CATALOG), "RULES_DIR": str(RULES), "MODEL_DIR": str(tmp_path)}
    )
    recommender = build(config).recommender
    assert recommender.learning is LEARNING
    assert recommender.models.store_dir == tmp_path  # the configured store, read once
    assert recommender.models.model is None  # an empty store: cold start, not an error
