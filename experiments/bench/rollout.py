"""Foundation benchmark (issue 2).

(a) Batched tabular rollouts, S=20, A=4, H=10, 2^20 episodes of a fixed stochastic policy,
    against a vectorised numpy implementation of the same sampling, same process. rlkit paths:
    the trainer (TabularMDP env + TabularPolicy agent through the generic interfaces: lax.scan
    over steps, vmap over envs, per-env PRNG keys), run as ``rlkit run`` runs it (seeds vmapped
    and sharded over ``jax.devices()`` by ``rlkit.batch.BatchedTrainer``; one CPU device per
    core) and as one plain ``jax.jit`` on the first device; and the toolkit's
    ``sample_episodes`` (one batched draw per step). Target: >= 5x for the ``rlkit run`` path.
(b) UCBVI on a 5x5x3 random MDP, 32 seeds x 10^4 episodes, one vmapped jitted call, against a
    straightforward numpy UCBVI (one seed after another, the same bonus and planning).

Steady-state times: every jitted function is called once on the same shapes before timing;
each path (numpy too) reports its best of three runs.
``--quick`` runs smaller sizes (a smoke test of the script itself).
"""
from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

import rlkit
from agents.baselines import TabularPolicyParams
from agents.ucbvi import UCBVIParams
from envs.tabular import RandomMDPConfig
from experiments.bench._common import header, result_line, timed
from rlkit import tabular
from rlkit.batch import BatchedTrainer, seed_keys

ROLLOUT_TARGET = 5.0


# ------------------------------------------------------------------------------------------------
# (a) rollouts
# ------------------------------------------------------------------------------------------------
def numpy_rollouts(P, r, pi, episodes: int, batch: int, rng: np.random.Generator) -> float:
    """Vectorised numpy: all episodes of a batch advance together, inverse-CDF sampling."""
    H, S, A = r.shape
    cdf_P = np.cumsum(P, -1)
    cdf_P /= cdf_P[..., -1:]
    cdf_pi = np.cumsum(pi, -1)
    cdf_pi /= cdf_pi[..., -1:]
    total = 0.0
    for _ in range(episodes // batch):
        s = np.zeros(batch, np.int64)
        ret = np.zeros(batch)
        for h in range(H):
            a = np.minimum((rng.random(batch)[:, None] >= cdf_pi[h, s]).sum(1), A - 1)
            ret += r[h, s, a]
            s = np.minimum((rng.random(batch)[:, None] >= cdf_P[h, s, a]).sum(1), S - 1)
        total += ret.sum()
    return total / episodes


def bench_rollouts(episodes: int, num_envs: int) -> dict[str, float]:
    S, A, H = 20, 4, 10
    model = tabular.random_mdp(jax.random.PRNGKey(0), S, A, H)
    pi = jax.random.dirichlet(jax.random.PRNGKey(1), jnp.ones(A), (H, S))
    env = tabular.TabularMDP(model)
    hp = TabularPolicyParams(policy=pi)
    iterations = episodes // num_envs
    seeds = max(d for d in range(1, len(jax.devices()) + 1) if num_envs % d == 0)
    batched = BatchedTrainer(RandomMDPConfig(S=S, A=A, H=H, instance_seed=0), [hp],
                             rlkit.TrainConfig(num_iterations=iterations, num_envs=num_envs // seeds,
                                               rollout_len=H, evaluate=False), seeds)
    run_batched = lambda: batched.run_chunk(batched.init(), iterations)[1]["return"]  # noqa: E731
    timed(run_batched)                                                          # compile
    t_run, out_run = timed(run_batched, repeats=3)
    cfg = rlkit.TrainConfig(num_iterations=iterations, num_envs=num_envs, rollout_len=H, evaluate=False)
    trainer = rlkit.make_train(env, hp.make_agent(), cfg)
    params = env.default_params()
    train = jax.jit(trainer)
    timed(lambda: train(jax.random.PRNGKey(0), hp, params).metrics)            # compile
    t_jax, out = timed(lambda: train(jax.random.PRNGKey(1), hp, params).metrics, repeats=3)
    mean_jax = float(np.mean(out["return"]))
    P = np.broadcast_to(np.asarray(model.P), (H, S, A, S))
    t_np, mean_np = timed(lambda: numpy_rollouts(P, np.asarray(model.r), np.asarray(pi), episodes,
                                                 num_envs, np.random.default_rng(0)), repeats=3)
    sampler = jax.jit(lambda k: tabular.sample_episodes(k, model, pi, num_envs).returns.mean())
    run_sampler = lambda k: jnp.mean(jnp.stack([sampler(kk) for kk in jax.random.split(k, iterations)]))  # noqa: E731
    timed(lambda: run_sampler(jax.random.PRNGKey(0)))                            # compile
    t_smp, mean_smp = timed(lambda: run_sampler(jax.random.PRNGKey(1)), repeats=3)
    exact = float(tabular.policy_value(model, pi))
    steps = episodes * H
    print(f"(a) tabular rollouts S={S} A={A} H={H}, {episodes} episodes ({steps:.3g} env steps)")
    print(f"    rlkit run path ({seeds} seeds x {num_envs // seeds} envs over {len(batched.sharding.device_set)} "
          f"device(s)) {t_run:8.3f} s  {steps / t_run:14,.0f} env-steps/s  mean return "
          f"{float(np.mean(out_run)):.4f}")
    print(f"    rlkit one jit on one device    {t_jax:8.3f} s  {steps / t_jax:14,.0f} env-steps/s  "
          f"mean return {mean_jax:.4f}")
    print(f"    rlkit.tabular.sample_episodes  {t_smp:8.3f} s  {steps / t_smp:14,.0f} env-steps/s  "
          f"mean return {float(mean_smp):.4f}")
    print(f"    numpy                          {t_np:8.3f} s  {steps / t_np:14,.0f} env-steps/s  "
          f"mean return {mean_np:.4f}")
    print(f"    exact value of the policy {exact:.4f}; speed-up: rlkit run path {t_np / t_run:.1f}x, "
          f"one jit {t_np / t_jax:.1f}x, toolkit sampler {t_np / t_smp:.1f}x")
    return {"rollout_vs_numpy": t_np / t_run, "single_jit_vs_numpy": t_np / t_jax,
            "sampler_vs_numpy": t_np / t_smp, "rlkit_env_steps_per_s": steps / t_run,
            "numpy_env_steps_per_s": steps / t_np}


# ------------------------------------------------------------------------------------------------
# (b) UCBVI
# ------------------------------------------------------------------------------------------------
def numpy_ucbvi(P, r, K: int, c: float, delta: float, rng: np.random.Generator) -> float:
    """Straightforward numpy UCBVI with the same l1 bonus (rlkit.tabular.optimism); returns the
    sum of realised rewards (for a sanity comparison)."""
    H, S, A = r.shape
    n = np.zeros((H, S, A))
    n_next = np.zeros((H, S, A, S))
    span = (H - 1 - np.arange(H)).astype(float)
    total = 0.0
    for k in range(K):
        kk = max(k, 1)
        L = 2.0 * (S * np.log(2.0) + np.log(S * A * H * kk * (kk + 1) / delta))
        P_hat = np.where(n[..., None] > 0, n_next / np.maximum(n, 1)[..., None], 1.0 / S)
        bonus = np.minimum(c * span[:, None, None] * np.sqrt(L / np.maximum(n, 1)), span[:, None, None])
        V = np.zeros(S)
        actions = np.zeros((H, S), np.int64)
        for h in reversed(range(H)):
            Q = np.minimum(r[h] + bonus[h] + P_hat[h] @ V, H - h)
            actions[h] = Q.argmax(1)
            V = Q.max(1)
        s = 0
        for h in range(H):
            a = actions[h, s]
            s_next = rng.choice(S, p=P[h, s, a])
            total += r[h, s, a]
            n[h, s, a] += 1
            n_next[h, s, a, s_next] += 1
            s = s_next
    return total


def bench_ucbvi(seeds: int, K: int, numpy_seeds: int) -> dict[str, float]:
    S, A, H = 5, 5, 3
    model = tabular.random_mdp(jax.random.PRNGKey(2), S, A, H)
    env = tabular.TabularMDP(model)
    hp = UCBVIParams(bonus_scale=0.2)
    cfg = rlkit.TrainConfig(num_iterations=K, rollout_len=H)
    train = jax.jit(jax.vmap(rlkit.make_train(env, hp.make_agent(), cfg), in_axes=(0, None, None)))
    params = env.default_params()
    timed(lambda: train(seed_keys(0, seeds), hp, params).metrics)                # compile
    t_jax, out = timed(lambda: train(seed_keys(1, seeds), hp, params).metrics)
    P, r = np.asarray(model.kernel()), np.asarray(model.r)
    t_np_part, _ = timed(lambda: [numpy_ucbvi(P, r, K, 0.2, 0.05, np.random.default_rng(i))
                                  for i in range(numpy_seeds)])
    t_np = t_np_part * seeds / numpy_seeds
    print(f"(b) UCBVI S={S} A={A} H={H}, {seeds} seeds x {K} episodes")
    print(f"    rlkit  {t_jax:8.3f} s (one vmapped call; cumulative regret {out['regret'].sum(1).mean():.1f})")
    print(f"    numpy  {t_np:8.3f} s ({numpy_seeds} seeds timed in {t_np_part:.2f} s, scaled to {seeds}: "
          f"the numpy loop is sequential over seeds)")
    print(f"    speed-up {t_np / t_jax:.1f}x")
    return {"ucbvi_vs_numpy": t_np / t_jax}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = ap.parse_args()
    header("rollout")
    if args.quick:
        a = bench_rollouts(2 ** 14, 2 ** 12)
        b = bench_ucbvi(4, 200, 1)
    else:
        a = bench_rollouts(2 ** 20, 2 ** 16)
        b = bench_ucbvi(32, 10_000, 2)
    ratios = {"rollout_vs_numpy": a["rollout_vs_numpy"], "single_jit_vs_numpy": a["single_jit_vs_numpy"],
              "sampler_vs_numpy": a["sampler_vs_numpy"],
              "ucbvi_vs_numpy": b["ucbvi_vs_numpy"]}
    print(result_line("rollout", ratios, {"rollout_vs_numpy": ROLLOUT_TARGET},
                      {"env_steps_per_s": round(a["rlkit_env_steps_per_s"])}))


if __name__ == "__main__":
    main()
