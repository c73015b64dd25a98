"""Training from a declarative spec: the spec's schema and checks (``spec``), the allow-listed
estimators (``estimators``), the environment record (``environment``), the trainer (``trainer``)
and the bias mitigator (``mitigation``).

Nothing is imported here, so reading the code version does not load scikit-learn or fairlearn.
"""
