"""Customer value: influence (how far a person's messages carry, influence.py) and CLV (BG/NBD
and Gamma-Gamma, clv.py), the parts of Social CLV that SQL is the wrong tool for; run.py is the
nightly step that writes them to the `scoring` schema."""
