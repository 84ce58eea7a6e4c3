"""`vmk bench` (the authors' algorithm against vmk's training steps) and the fast-path switches it measures.

Nothing is imported here: training/module.py imports `fastpath`, and the bench imports the training module.
"""
