"""Monitoring from mergeable summaries: reference bins, per-segment summaries, drift, fairness,
quality and business KPIs over windows of the prediction log."""
