"""Human output of the auditor's read-side queries: one module per view, each a ``render``."""
