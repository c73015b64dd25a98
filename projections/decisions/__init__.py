"""The decision explanations: why a version is allowed where it runs, every statement cited."""
