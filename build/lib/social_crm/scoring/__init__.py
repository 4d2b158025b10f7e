"""Scoring that SQL is the wrong tool for: influence on the follow graph, CLV models."""
