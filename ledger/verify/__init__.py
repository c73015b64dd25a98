"""Full verification: every event, chain and key window; the tree and every checkpoint."""
