#!/usr/bin/env python3
"""How often `turnout learn`'s gate promotes, by how good the candidate really is.

A simulation of the decision in Shared/TurnoutRouting/Learning/PromotionDecision.swift:
held-out battles in four blocks, APGR over ten quantile bins per block pooled as area over
gap, a candidate promoted when it is ahead by --margin and, unless --standard-errors is 0,
by that many bootstrap standard errors of the difference.

Battles are drawn as GSM8K's look to the judge: a latent difficulty z per prompt; the strong
model alone is right with probability sigmoid(1.2 z - 1.6), the weak one alone with 0.06,
a tie otherwise (about 29 % of battles have a winner; GSM8K's held-out battles had 33 %).
A router's win rate is z plus Gaussian noise: the less noise, the higher its true APGR.
The live router's noise is 2.0; candidates are better (1.5), equal (2.0) and worse (3.0).

    python3 scripts/promotion_power.py [--trials 200] [--held-out 588,1176]
"""
import argparse

import numpy as np


def parts(rates, strong, weak, bins=10):
    """One block's (area above the weak line, gap to the strong line), weighted by size."""
    edges = np.quantile(rates, np.linspace(0, 1, bins + 1))
    shares, quality = [], []
    for k, edge in enumerate(edges):
        routed = rates > edge if k == bins else rates >= edge
        shares.append(routed.mean())
        quality.append(np.where(routed, strong, weak).mean())
    order = np.argsort(shares, kind="stable")
    s, q = np.array(shares)[order], np.array(quality)[order]
    area = np.sum((s[1:] - s[:-1]) * (q[1:] + q[:-1]) / 2)
    span = s.max() - s.min()
    n = len(rates)
    return n * (area - weak.mean() * span), n * (strong.mean() - weak.mean()) * span


def difference(blocks):
    """Pooled candidate-minus-live APGR over blocks of (live, candidate, strong, weak)."""
    gain_live = gain_cand = gap_live = gap_cand = 0.0
    for live, cand, strong, weak in blocks:
        a, b = parts(live, strong, weak)
        c, d = parts(cand, strong, weak)
        gain_live, gap_live, gain_cand, gap_cand = gain_live + a, gap_live + b, gain_cand + c, gap_cand + d
    gap = max(gap_live, gap_cand)
    return (gain_cand - gain_live) / gap if gap > 0 else 0.0


def battles(rng, n):
    z = rng.normal(size=n)
    p_strong = 1 / (1 + np.exp(-(1.2 * z - 1.6)))
    u = rng.random(n)
    strong = (u < p_strong).astype(float)
    weak = ((u >= p_strong) & (u < p_strong + 0.06)).astype(float)
    return z, strong, weak


def true_apgr(rng, noise, n=40000):
    z, strong, weak = battles(rng, n)
    a, b = parts(z + rng.normal(scale=noise, size=n), strong, weak, bins=200)
    return a / b


def promoted(rng, live_noise, cand_noise, held_out, margin, z_needed, resamples):
    size = held_out // 4
    blocks = []
    for _ in range(4):
        z, strong, weak = battles(rng, size)
        blocks.append((z + rng.normal(scale=live_noise, size=size), z + rng.normal(scale=cand_noise, size=size), strong, weak))
    diff = difference(blocks)
    if diff < margin:
        return False
    if z_needed == 0:
        return True
    draws = []
    for _ in range(resamples):
        drawn = []
        for live, cand, strong, weak in blocks:
            pick = rng.integers(0, len(live), len(live))
            drawn.append((live[pick], cand[pick], strong[pick], weak[pick]))
        draws.append(difference(drawn))
    return diff >= z_needed * np.std(draws, ddof=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--held-out", default="588,1176")
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--resamples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    live = 2.0
    candidates = [("better", 1.5), ("equal", 2.0), ("worse", 3.0)]
    truth = {name: true_apgr(rng, noise) - true_apgr(rng, live) for name, noise in candidates}
    print("true APGR difference: " + ", ".join(f"{name} {truth[name]:+.3f}" for name, _ in candidates))
    print("| held out | gate | " + " | ".join(f"{name} ({truth[name]:+.3f})" for name, _ in candidates) + " |")
    print("|---|---|" + "---|" * len(candidates))
    for held_out in (int(x) for x in args.held_out.split(",")):
        for z_needed in (0.0, 1.0):
            gate = f"margin {args.margin}" + (f" and {z_needed:g} s.e." if z_needed else " only")
            rates = [np.mean([promoted(rng, live, noise, held_out, args.margin, z_needed, args.resamples) for _ in range(args.trials)])
                     for _, noise in candidates]
            print(f"| {held_out} | {gate} | " + " | ".join(f"{r:.2f}" for r in rates) + " |", flush=True)


if __name__ == "__main__":
    main()
