"""Benchmarks: one command each, printing its figure. ``python -m bench`` runs them all."""
