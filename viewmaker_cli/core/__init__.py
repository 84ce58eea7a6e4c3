"""Leaf utilities every other layer may use and that use nothing of vmk's but errors: atomic writing,
device choice, collectives across ranks, EMA, torch.compile with an eager fallback, a console
without Lightning's noise, the SLURM job step a process runs in."""
