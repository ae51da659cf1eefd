"""Placements (issue 11): the lists a shop shows besides the plain one, as configuration.

- config.py: rules/placements.yaml (strategy chain, length, diversity, rules, precompute);
- strategies.py: the registry of strategies a chain may name (profile, alternatives,
  complements, buy_again, refills);
- purchased.py: buy_again and refills, from a stored customer's purchases (refill helper);
- alternatives.py, complements.py: the product-page and cart strategies;
- context.py: the one evaluation and masks all strategies share (the plain list's safety);
- serve.py: the chain, the rendering, and the entry points the web layer and CLI call.
"""
