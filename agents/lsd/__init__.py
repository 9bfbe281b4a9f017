"""Agents for last-switch-dependent bandits (spec ``specs/lsd_bandits.md``)."""
