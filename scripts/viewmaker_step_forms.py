"""The simultaneous training step (viewmaker width 32, 3 residual blocks, ResNet-18 small width 64, two views of
batch 256 on 3x32x32, SimCLR, gradient reversal, fused SGD + Adam; bf16, channels_last, torch.compile with CUDA
graphs: what `vmk bench` times as `simultaneous`) in forms that compute the same maths, to find which one
brings the step to 5x the reference (15.8 ms at batch 256 on the H200 of 2026-11-30, where it took 17.9 ms):

- two_calls       the viewmaker called once per view, as vmk does now;
- one_call        one viewmaker call on the batch twice over, then split: the viewmaker has no batch statistics
                  (instance norm), so each row's view has the same law; kernels twice as large, half as many;
- expand_upsample nearest 2x upsampling as expand + reshape: the same values, and a backward that is a sum
                  over each 2x2 block instead of Inductor's index_put (0.31 ms a call on the H200);
- one_call_expand both.

Measured on that H200 (2026-11-30): 17.62, 16.79, 16.73 and 15.52 ms a step; vmk now takes the last form
(Viewmaker.forward(x, groups=2), its broadcast upsampling): two_calls is vmk before it, one_call_expand vmk now.

For each: images/s, the step time, and from torch.profiler over 3 more steps the kernels per step and the
GPU-busy time. Rehearse on the CPU first:

    python scripts/viewmaker_step_forms.py [FORM ...]   one CUDA GPU (about a minute per form: each compiles)
    python scripts/viewmaker_step_forms.py --cpu        tiny sizes on the CPU, compiled and eager (5.4 min on 2 busy cores, cold)

Prints one line per form; writes forms.json and each form's operator table to $OUT (default /tmp/vm-forms).
"""
import json
import sys

import torch
from step_timing import profile_step, setup, time_step
from torch import nn

from viewmaker_cli.models.resnet import ResNetSmall
from viewmaker_cli.objectives.simclr import simclr_loss
from viewmaker_cli.training.module import reverse_grad
from viewmaker_cli.views.viewmaker import Viewmaker, _broadcast_upsample_2x

cpu = "--cpu" in sys.argv
dev, out, info = setup(cpu, "/tmp/vm-forms")
B, W, VW, WARM, STEPS = (8, 8, 8, 2, 3) if cpu else (256, 64, 32, 10, 40)
results = {}


def run(name, *, one_call=False, expand=False, compile_mode="reduce-overhead"):
    torch._dynamo.reset()
    torch.manual_seed(0)
    enc = ResNetSmall(3, width=W).to(dev, memory_format=torch.channels_last)
    vm = Viewmaker(3, width=VW, num_res_blocks=3).to(dev, memory_format=torch.channels_last)
    if not expand:  # the form before: nn.Upsample, whose backward Inductor lowers to an index_put
        vm.decoder[0] = vm.decoder[2] = nn.Upsample(scale_factor=2, mode="nearest")
    x = torch.rand(B, 3, 32, 32, device=dev).contiguous(memory_format=torch.channels_last)
    fwd_enc, fwd_vm = enc, vm
    if compile_mode is not None:
        mode = None if compile_mode == "default" else compile_mode
        fwd_enc, fwd_vm = torch.compile(enc, mode=mode), torch.compile(vm, mode=mode)
    flags = {"foreach": True} if cpu else {"fused": True}
    enc_opt = torch.optim.SGD(enc.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4, **flags)
    vm_opt = torch.optim.Adam(vm.parameters(), lr=1e-3, **flags)
    graphs = compile_mode == "reduce-overhead" and not cpu

    def step():
        if graphs:
            torch.compiler.cudagraph_mark_step_begin()
        with torch.autocast(dev.type, dtype=torch.bfloat16):
            if one_call:
                v1, v2 = fwd_vm(torch.cat([x, x]), groups=2).chunk(2)
            else:
                v1, v2 = fwd_vm(x), fwd_vm(x)
            z1, z2 = fwd_enc(reverse_grad(v1)), fwd_enc(reverse_grad(v2))
            loss = simclr_loss(z1, z2, 0.07)
        enc_opt.zero_grad(set_to_none=True)
        vm_opt.zero_grad(set_to_none=True)
        loss.backward()
        enc_opt.step()
        vm_opt.step()

    r = time_step(step, dev, WARM, STEPS, B)
    r.update(profile_step(step, dev, out / f"forms-{name}.txt"))
    results[name] = r
    print(f"{name:24s} " + " ".join(f"{k}={v:.2f}" for k, v in r.items()), flush=True)
    (out / "forms.json").write_text(json.dumps({"info": info, "batch": B, "results": results}, indent=1))


# The same values, first: a form that changed the maths would not be a faster form of this step.
probe = torch.rand(2, 3, 16, 16, device=dev)
up = torch.nn.Upsample(scale_factor=2, mode="nearest")
assert torch.equal(up(probe), _broadcast_upsample_2x(probe)), "expand + reshape is not nearest upsampling"

FORMS = {"two_calls": {}, "one_call": {"one_call": True}, "expand_upsample": {"expand": True},
         "one_call_expand": {"one_call": True, "expand": True}}
chosen = [a for a in sys.argv[1:] if not a.startswith("--")] or list(FORMS)
unknown = sorted(set(chosen) - set(FORMS))
if unknown:
    sys.exit(f"unknown form(s) {', '.join(unknown)}; known: {', '.join(FORMS)}")
for name in chosen:
    kw = FORMS[name]
    try:
        run(name, **kw)
    except Exception as e:  # one form failing to compile should not cost the others' numbers
        print(f"{name:24s} FAILED: {type(e).__name__}: {str(e)[:300]}", flush=True)
if cpu:  # the rehearsal also runs the eager step once, so a compile-only failure is told apart
    run("two_calls_eager", compile_mode=None)
