"""The commands of the governance application, grouped by role, all through one pipeline."""
