"""`vmk bench`: the authors' algorithm against vmk's training steps, on the current device.

The switches it measures (torch.compile, fused optimisers) live in core/compile.py and core/device.py."""
