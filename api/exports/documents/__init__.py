"""The documents of an evidence bundle: each a pure, deterministic function of a ``BundleContext``
(``render_X(context) -> bytes``), so ``verify-bundle`` can rebuild it from the bundle's events."""
