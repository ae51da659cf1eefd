"""A/B tests whose arms cannot break safety (issue 12).

spec.py      the experiments file (rules/experiments.yaml): experiments, variants, checks
assign.py    deterministic assignment of a customer or session to a variant
variants.py  an arm as a Snapshot: another model, blend or set of boost/bury/pin rules
serving.py   what the web layer asks per request: the arm, and the exposure log
stats.py     mSPRT: always-valid confidence intervals and p-values; the power statement
report.py    exposures x events -> per-variant rates and revenue, text and HTML with plots

Nothing here imports Flask or Celery; the CLI (`dosewise experiments ...`) and
service/api/recommendations.py call these modules.
"""
