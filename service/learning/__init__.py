"""Learning to rank for dosewise: features, simulator, training, evaluation, serving wrapper.

Nothing here loads a model or touches the disk at import time.

Data flow
---------
1. Serving computes `product_features(ev)` (features.py) for every product of each request,
   scores them with the loaded model, ranks by its learned blend (blend.py) and logs the shown
   items with `logs.impression_record(...)` (JSON lines; one line per served list).
2. Shop events (POST /v1/events) are exported as JSON lines with the same fields.
3. `train(impressions, events, out_dir, TrainConfig)` joins them (dataset.py), splits by time
   (fit / validation / holdout), fits a logistic regression with profile x product crosses
   (model.py) and a LightGBM lambdarank ranker (boosted.py), learns each one's blend on the
   validation split (blend.py), evaluates what each would serve on the holdout against
   popularity and the rules-only score (evaluate.py), keeps the better and writes its artefact:
   model.npz or model.txt + metadata.json + report.json + metrics.png.
4. `promote_if_better(store, candidate, holdout)` (store.py) makes it current only if it beats
   what serves now on the same holdout; `ModelHolder` (holder.py) picks it up in every serving
   process without a restart. `jobs.train_and_promote` does 3 and 4.
5. Cold start: no promoted model, or every artefact refused -> `ModelHolder.model is None` and
   serving ranks by the transparent score plus rules; too few events -> `train` raises
   DatasetError and writes nothing. A product the model never saw is scored from its
   attributes (category, form, source, price, tags): no SKU identity is a feature.

Position bias: customers see the top of a list more than its bottom. Training uses only the
items a view event says were seen, with the position as a training-only feature; evaluation
weights each engaged item by 1 / P(seen | position) (metrics.py). Without that correction the
logged labels favour the policy that ranked the logged lists (the rules-only score).

API (what the service, CLI and Celery call)
-------------------------------------------
features.FEATURE_NAMES: tuple[str, ...]; features.product_features(ev) -> (products, F) array
logs.impression_record(request_id, customer_id, timestamp, features, shown, skus,
    model_version) -> dict; logs.event_record(...); logs.write_jsonl(path, records, append)
model.load_model(dir) -> Ranker (RankingModel or boosted.BoostedRankingModel; raises
    CorruptModel / IncompatibleModel, both ModelError, a DosewiseError); .version,
    .feature_names, .blend, .predict(features) -> (0, 1), .logit(features),
    .contributions(row) -> {term: logit contribution}
blend.BlendWeights(model, transparent, rules, source).raw(...); blend.learn_blend(...)
serving.blended_raw(model, features, weights=None) -> (raw, model_score);
    serving.explain_model(model, row, weights=None)
holder.ModelHolder(store_dir, check_interval=2.0): .refresh_if_changed(), .model, .ready,
    .version, .error
store.current_path(store) / current_version / load_current / install / set_current;
    store.promote_if_better(store, candidate_dir, holdout, metric="ndcg@10") -> Promotion
config.TrainConfig(event_weights, attribution_hours, holdout_fraction, validation_fraction,
    learners, rule_floor, boosting, ...); .from_dict(dict)
train.train(impressions, events, out_dir, config) -> TrainResult(model_dir, model, report,
    holdout, seconds, candidates); raises dataset.DatasetError (a DosewiseError) on unusable logs
evaluate.evaluate(model_dir, impressions, events, out_dir=None, config=None) -> report dict
simulator.simulate(snapshot, out_dir, customers=, days=, seed=, list_size=20,
    preferences=simulator.SHOPS["second"]) -> SimulationLog
jobs.train_and_promote(impressions, events, store, config) -> TrainingRun(result, promotion);
    jobs.build_default_model(snapshot, store, work_dir, customers=, days=, seed=)

Import from the modules (`from service.learning.features import product_features`): this
package imports nothing itself, so that service.core.ranking can import features, serving and
holder without an import cycle (the simulator imports ranking).
"""
