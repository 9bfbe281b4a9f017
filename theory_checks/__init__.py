"""Theorems as code: each module registers checks with :func:`rlkit.checks.register`.

``stats`` holds the statistics shared by all families (pseudo-regret curves, growth exponents,
rate fits, bounds with confidence margins); ``rlkit verify [family]`` runs the checks.
"""
