"""Wearable-sensor datasets: basic_motions, basic_motions_raw (basic_motions.py), pamap2 and
pamap2_one_participant (pamap2.py); data/catalog.py lists them. Training draws fresh windows through
`pamap2_sampler` / `basic_motions_sampler`."""
