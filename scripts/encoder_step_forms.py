"""The encoder's training step (ResNet-18 small, two views of batch 256, SimCLR, fused SGD) timed in several
forms in one process: eager / compiled / CUDA graphs, bf16 / fp32, channels_last / NCHW. For each: images/s,
the step time, the time the Python loop took to enqueue the steps (equal to the step time: the host is the
bottleneck) and, from torch.profiler over 3 more steps, the kernels per step and their summed time.

    python scripts/encoder_step_forms.py          one CUDA GPU (about 2 minutes on an H200)
    python scripts/encoder_step_forms.py --cpu    tiny sizes on the CPU: a rehearsal (about 90 s here)

Prints one line per form; writes diag.json and each form's operator table to $OUT (default /tmp/diag).
"""
import json
import sys

import torch
from step_timing import profile_step, setup, time_step

from viewmaker_cli.models.resnet import ResNetSmall
from viewmaker_cli.objectives.simclr import simclr_loss

cpu = "--cpu" in sys.argv
dev, out, info = setup(cpu, "/tmp/diag")
B, W, WARM, STEPS = (8, 8, 2, 3) if cpu else (256, 64, 10, 40)
results = {}


def run(name, *, compile_mode=None, bf16=True, cl=True, concat=False, fused=True, batch=B):
    torch._dynamo.reset()
    torch.manual_seed(0)
    enc = ResNetSmall(3, width=W).to(dev)
    x1 = torch.randn(batch, 3, 32, 32, device=dev)
    x2 = x1 + 0.01 * torch.randn_like(x1)
    if cl:
        enc = enc.to(memory_format=torch.channels_last)
        x1, x2 = (v.contiguous(memory_format=torch.channels_last) for v in (x1, x2))
    fwd = enc
    if compile_mode is not None:
        fwd = torch.compile(enc, mode=None if compile_mode == "default" else compile_mode)
    opt = torch.optim.SGD(enc.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4,
                          **({"fused": True} if fused and not cpu else {"foreach": True}))
    graphs = compile_mode == "reduce-overhead"

    def step():
        if graphs:
            torch.compiler.cudagraph_mark_step_begin()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            if concat:
                z = fwd(torch.cat([x1, x2]))
                z1, z2 = z.chunk(2)
            else:
                z1, z2 = fwd(x1), fwd(x2)
            loss = simclr_loss(z1, z2, 0.07)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    r = time_step(step, dev, WARM, STEPS, batch)
    r.update(profile_step(step, dev, out / f"diag-{name}.txt"))
    results[name] = r
    print(f"{name:28s} " + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()),
          flush=True)
    (out / "diag.json").write_text(json.dumps({"info": info, "results": results}, indent=1))


run("eager_fp32_nchw", bf16=False, cl=False)
run("eager_bf16_cl")
run("eager_bf16_nchw", cl=False)
run("compiled_bf16_cl", compile_mode="default")
run("compiled_bf16_nchw", compile_mode="default", cl=False)
run("compiled_bf16_cl_concat", compile_mode="default", concat=True)
if not cpu:
    run("cudagraphs_bf16_cl", compile_mode="reduce-overhead")
    run("compiled_bf16_cl_b512", compile_mode="default", batch=2 * B)
