"""Identity resolution: which social profiles are which customers (features.py, model.py, and
the nightly step run.py)."""
