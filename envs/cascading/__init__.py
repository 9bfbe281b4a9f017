"""The cascading MDP (Du, Srikant & Chen, ICLR 2024): simulator with its exact model, a synthetic
generator and a MovieLens-format loader."""
from envs.cascading.configs import MovieLensCascadingConfig, SyntheticCascadingConfig, synthetic_ratings_path
from envs.cascading.env import CascadingMDP, CascadingParams, CascadingState, cascade_step, cascading_params
from envs.cascading.generators import random_cascading_model, random_cascading_model_np
from envs.cascading.movielens import (MovieLensInstance, kmeans, movielens_model, read_ratings,
                                      select_items, write_synthetic_ratings)

__all__ = [
    "MovieLensCascadingConfig", "SyntheticCascadingConfig", "synthetic_ratings_path", "CascadingMDP",
    "CascadingParams", "CascadingState", "cascade_step", "cascading_params", "random_cascading_model", "random_cascading_model_np",
    "MovieLensInstance", "kmeans", "movielens_model", "read_ratings", "select_items",
    "write_synthetic_ratings",
]
