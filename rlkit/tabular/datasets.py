"""Offline datasets of tabular episodes: sampling, counts, behaviour cloning, a return bound.

A dataset holds ``N`` episodes of length ``H`` collected by a behaviour policy ``pi^beta``
(StepMix spec §4: the baseline "must be learned from an offline dataset"). Leaves are
``[N, H]`` arrays, so a dataset is a pytree that jits, vmaps and can be saved with numpy.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.config import ConfigError
from rlkit.tabular.empirical import Counts, add_transitions, zero_counts
from rlkit.tabular.model import TabularModel, cumulative, sample_cdf


@struct.dataclass
class EpisodeDataset:
    """``N`` episodes: step ``h``, state, action, reward and next state, each ``[N, H]``."""

    h: jax.Array
    s: jax.Array
    a: jax.Array
    r: jax.Array
    s_next: jax.Array

    @property
    def num_episodes(self) -> int:
        return self.s.shape[0]

    def returns(self) -> jax.Array:
        """Realised return of every episode ``[N]``."""
        return jnp.sum(self.r, axis=-1)


def sample_episodes(key: jax.Array, model: TabularModel, pi: jax.Array, num_episodes: int
                    ) -> EpisodeDataset:
    """Roll out the policy ``pi[H, S, A]`` for ``num_episodes`` episodes in the exact model
    (inverse-CDF sampling; one ``lax.scan`` over steps, vectorised over episodes)."""
    H = model.H
    P_cdf = cumulative(model.kernel())
    pi_cdf = cumulative(jnp.asarray(pi, jnp.float64))
    k0, key = jax.random.split(key)
    s0 = jax.vmap(sample_cdf, in_axes=(0, None))(jax.random.split(k0, num_episodes),
                                                 cumulative(model.mu))
    draw = jax.vmap(sample_cdf)

    def step(s, xs):
        h, k = xs
        k_a, k_s = jax.random.split(k)
        a = draw(jax.random.split(k_a, num_episodes), pi_cdf[h, s])
        s_next = draw(jax.random.split(k_s, num_episodes), P_cdf[h, s, a])
        return s_next, (jnp.full_like(s, h), s, a, model.r[h, s, a], s_next)

    _, (h, s, a, r, s_next) = jax.lax.scan(step, s0, (jnp.arange(H), jax.random.split(key, H)))
    return EpisodeDataset(*(jnp.swapaxes(x, 0, 1) for x in (h, s, a, r, s_next)))


def dataset_counts(data: EpisodeDataset, H: int, S: int, A: int) -> Counts:
    """Visit and transition counts of every transition in the dataset."""
    return add_transitions(zero_counts(H, S, A), data.h, data.s, data.a, data.r, data.s_next)


def behaviour_cloning(counts: Counts) -> jax.Array:
    """Behaviour cloning (spec §4 step 2): ``pi_hat_h(a|s) = N_h(s, a) / N_h(s)``, uniform
    over actions where ``(h, s)`` was never visited."""
    A = counts.n.shape[-1]
    visits = counts.n.sum(-1, keepdims=True)
    return jnp.where(visits > 0, counts.n / jnp.maximum(visits, 1.0), 1.0 / A)


def return_upper_bound(mean_return, num_episodes, H: int, delta) -> jax.Array:
    """Hoeffding upper confidence bound on the behaviour policy's value from the mean of ``N``
    i.i.d. returns in ``[0, H]`` (spec §4 step 1): ``mean + H sqrt(ln(2 / delta) / (2 N))``."""
    return mean_return + H * jnp.sqrt(jnp.log(2.0 / delta) / (2.0 * num_episodes))


def check_dataset(data: EpisodeDataset, H: int, S: int, A: int) -> None:
    """Validate a concrete dataset against the sizes of an MDP; raise :class:`ConfigError`."""
    shapes = {f: np.shape(getattr(data, f)) for f in ("h", "s", "a", "r", "s_next")}
    if len(set(shapes.values())) != 1 or len(shapes["s"]) != 2:
        raise ConfigError(f"dataset fields must all have shape [N, H]; got {shapes}")
    if shapes["s"][1] != H:
        raise ConfigError(f"dataset episodes have length {shapes['s'][1]}, the MDP has horizon H={H}")
    for name, bound in (("h", H), ("s", S), ("a", A), ("s_next", S)):
        x = np.asarray(getattr(data, name))
        if x.size and (x.min() < 0 or x.max() >= bound):
            raise ConfigError(f"dataset field {name!r} must lie in 0..{bound - 1}; found "
                              f"values in {x.min()}..{x.max()}")
