"""PNG rendering of a Gather-Trade-Build state (host side, matplotlib): water, wood and stone
(full or depleted source tiles), houses coloured by owner, agents with their index, and a panel
of each agent's inventory, escrow, labor and houses."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from envs.economy.gtb.state import COIN, STONE, WOOD, GTBParams, GTBState

AGENT_COLORS = ("tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:cyan", "tab:pink", "tab:olive",
                "tab:brown")


def _color(i: int) -> str:
    return AGENT_COLORS[i % len(AGENT_COLORS)]


def render(state: GTBState, params: GTBParams, path: str | Path, title: str | None = None) -> Path:
    """Draw one (unbatched) state to ``path`` (PNG); returns the path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    water = np.asarray(params.water)
    wood_src, stone_src = np.asarray(params.wood_source), np.asarray(params.stone_source)
    wood, stone = np.asarray(state.wood) > 0, np.asarray(state.stone) > 0
    owner = np.asarray(state.house_owner)
    pos = np.asarray(state.pos)
    h, w = water.shape
    img = np.ones((h, w, 3)) * 0.96
    img[water] = to_rgb("#4f8fd6")
    img[wood_src] = to_rgb("#cfe8c4")
    img[wood] = to_rgb("#2e7d32")
    img[stone_src] = to_rgb("#dddddd")
    img[stone] = to_rgb("#6d6d6d")
    for i in range(pos.shape[0]):
        img[owner == i] = np.asarray(to_rgb(_color(i))) * 0.6 + 0.4

    fig, (ax, panel) = plt.subplots(1, 2, figsize=(10, 5), dpi=100, gridspec_kw={"width_ratios": [1.2, 1]})
    ax.imshow(img, interpolation="nearest")
    for i, (r, c) in enumerate(pos):
        ax.add_patch(plt.Circle((c, r), 0.4, color=_color(i), ec="k", lw=0.8))
        ax.text(c, r, str(i), ha="center", va="center", fontsize=7, color="white", weight="bold")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"Gather-Trade-Build, step {int(state.time)}")
    inv, esc = np.asarray(state.inventory), np.asarray(state.escrow)
    lines = ["agent  wood stone   coin  (escrow)  labor houses"]
    for i in range(pos.shape[0]):
        lines.append(f"{i:>5} {inv[i, WOOD]:5.0f} {inv[i, STONE]:5.0f} {inv[i, COIN]:7.1f} ({esc[i, COIN]:5.1f})"
                     f" {float(state.labor[i]):6.1f} {int(state.houses[i]):5d}")
    lines.append("")
    lines.append("rates: " + " ".join(f"{r:.2f}" for r in np.asarray(state.rates)))
    panel.axis("off")
    panel.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
