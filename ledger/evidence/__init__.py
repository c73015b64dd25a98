"""Evidence bundles' signed parts: the manifest, the event and proof lines, their offline check."""
