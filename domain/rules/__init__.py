"""The rules of the domain as data and functions: policy, gates, roles, thresholds, statements."""
