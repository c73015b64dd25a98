"""The transparency log: RFC 6962 trees, C2SP checkpoints and notes, proofs, publication."""
