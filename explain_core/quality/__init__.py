"""How far to trust a map: deletion/insertion curves, infidelity and max-sensitivity
(fidelity.py), the model-randomisation sanity check (sanity.py), seed-to-seed stability
(stability.py), and every method ranked on them (report.py). The service's `quality`
request runs them (requests.py)."""
