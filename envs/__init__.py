"""Environments, each a pure-JAX :class:`rlkit.Env` with an :class:`rlkit.EnvConfig`.

Envs never import an agent.
"""
