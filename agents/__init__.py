"""Algorithms, each a pure-JAX :class:`rlkit.Agent` with an ``@hparams`` config dataclass.

Agents never import a concrete env: they read what they need from the env's :class:`rlkit.EnvSpec`.
"""
