"""Glimpse's performance harness: `python -m bench methods|precompute|scale|all|report|profile`.

methods     our explanation methods against Captum, the `lime` package and `shap` on the
            same trained models, samples and settings (interleaved timings + agreement)
precompute  IG for a whole data set in cross-sample batches vs a per-sample Captum loop
scale       time vs number of samples and vs input size
report      regenerate docs/PERFORMANCE.md from the JSON results
Results go to bench/results/*.json; docs/PERFORMANCE.md and docs/perf_*.png are generated.
"""
