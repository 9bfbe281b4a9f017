"""The AI Economist's two-level learner (Zheng et al. 2021/2022): agents' shared policy and the
planner trained together with PPO and the two-phase curriculum. See docs/economist.md."""
from agents.economist.two_level import TwoLevelParams, TwoLevelPPO, TwoLevelState

__all__ = ["TwoLevelParams", "TwoLevelPPO", "TwoLevelState"]
