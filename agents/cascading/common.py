"""What every cascading agent shares: play a list table ``lists[H, S, m]``, evaluate it exactly."""
from __future__ import annotations

from rlkit.agent import Agent
from rlkit.cascading import lists_value


class ListPolicyAgent(Agent):
    """Base class: the agent state has ``lists[H, S, m]``, the deterministic list policy played
    in the next episode (obs ``[h, s]``)."""

    def act(self, key, state, carry, obs, hp):
        return state.lists[obs[0], obs[1]], carry, {}

    def evaluate(self, state, hp, model):
        """Exact expected return of the deployed list policy (pseudo-regret reference)."""
        return {"value": lists_value(model, state.lists)}


def check_sizes(spec) -> tuple[int, int, int, int]:
    """``(H, S, N, m)`` from a cascading env's spec (``sizes``), with a clear error otherwise."""
    missing = [k for k in ("H", "S", "N", "m") if k not in spec.sizes]
    if missing:
        raise ValueError(f"cascading agents need an env whose spec.sizes has H, S, N, m "
                         f"(envs.cascading.CascadingMDP); missing {missing}")
    return spec.sizes["H"], spec.sizes["S"], spec.sizes["N"], spec.sizes["m"]
