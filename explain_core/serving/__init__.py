"""ExplanationService's parts, one job each, joined as mixins in explain_core/service.py."""
