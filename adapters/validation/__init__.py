"""Validation of a governed model: quality, fairness by group and LIME explainability."""

from adapters.validation.assessor import HoldoutAssessor
from adapters.validation.fairness import CountingFairnessAssessor, GroupCounts, fairness_metrics
from adapters.validation.quality import quality_metrics

__all__ = [
    "CountingFairnessAssessor",
    "GroupCounts",
    "HoldoutAssessor",
    "fairness_metrics",
    "quality_metrics",
]
