"""Explanations of a governed model's predictions (the ``Explainer`` port)."""

from adapters.explaining.lime_explainer import LimeExplainer, ModelExplainer

__all__ = ["LimeExplainer", "ModelExplainer"]
