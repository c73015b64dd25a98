"""The German credit data: readable schema and codebook, and a deterministic sample generator."""
