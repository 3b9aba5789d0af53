"""Adversarial probing and counterfactuals (issue 10, section 2).

space: where an attack moves an input and what it aims at; attacks: FGSM and PGD (L∞,
L2), batched; probe: one sample's adversarial example and the minimal ε that flips it;
curve / model_view: held-out accuracy against ε (a model-level view, with a background
job); counterfactual: the smallest, sparsest change of a table row that flips its decision;
requests: the service's checks and cache keys (service.robustness).
"""
