"""Clusters: the model, loading them from files, and validating them."""
