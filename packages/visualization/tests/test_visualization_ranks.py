"""Only rank 0 draws and writes: a real two-process gloo group on 127.0.0.1."""

import os
import socket
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent("""
    import os, sys, warnings
    import numpy as np
    import torch.distributed as torch_dist
    torch_dist.init_process_group('gloo', init_method='env://')
    from engine.visualization import Visualizer
    rank = torch_dist.get_rank()
    vis = Visualizer(vis_backends=[dict(type='LocalVisBackend')], save_dir=sys.argv[1])
    vis.set_image(np.zeros((4, 5, 3), np.uint8))
    image = vis.get_image()
    drawn = vis.draw_bboxes(np.array([0, 0, 2, 2]))
    vis.add_scalar('rank', rank)
    vis.add_image(f'img{rank}', np.zeros((4, 5, 3), np.uint8))
    if rank == 0:
        assert image.shape == (4, 5, 3) and drawn is vis
    else:
        assert image is None and drawn is None and vis.get_backend('LocalVisBackend') is None
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    print('ok', rank)
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_only_rank_zero_writes(tmp_path):
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()),
               WORLD_SIZE="2", OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path)],
                              env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(2)]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=120)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert all(p.returncode == 0 for p in procs), outputs
    vis_data = tmp_path / "vis_data"
    assert (vis_data / "scalars.json").read_text() == '{"rank": 0, "step": 0}\n'
    assert sorted(p.name for p in (vis_data / "vis_image").iterdir()) == ["img0_0.png"]


def test_import_loads_neither_tensorboard_nor_wandb():
    code = ("import sys, engine.visualization; "
            "bad = [m for m in ('tensorboard', 'wandb', 'torch.utils.tensorboard') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
