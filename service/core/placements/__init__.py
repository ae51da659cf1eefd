"""Placements (issue 11): the lists a shop shows besides the plain one, as configuration.

- config.py: rules/placements.yaml (strategy chain, length, diversity, rules, precompute);
- strategies.py: the registry of strategies a chain may name (profile, alternatives,
  complements; buy_again and refills fall back to the profile list for now);
- alternatives.py, complements.py: the product-page and cart strategies;
- context.py: the one evaluation and masks all strategies share (the plain list's safety);
- serve.py: the chain, the rendering, and the entry points the web layer and CLI call.
"""
