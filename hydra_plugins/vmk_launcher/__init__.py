"""vmk's Hydra launcher: `hydra/launcher=parallel` runs sweep jobs at once, each in its own process,
one job per GPU (CUDA_VISIBLE_DEVICES set per job) or N CPU jobs.

`hydra_plugins` is a namespace package (no __init__.py) shared with every other installed Hydra plugin;
Hydra imports each public module under it at startup, so these modules import nothing heavy at the top.
"""
