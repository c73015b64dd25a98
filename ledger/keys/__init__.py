"""Ed25519 keys, their files, and their lifetimes in the log (rotations and windows)."""
