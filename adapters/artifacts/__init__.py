"""Artifacts: the content-addressed file store (``file_store``) and skops model files loaded by
our own allow-list (``model_files``).

Nothing is imported here, so the light file store does not load scikit-learn or skops.
"""
