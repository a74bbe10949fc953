"""engine.utils.dl_utils: TimeCounter, collect_env, load_url and the small torch helpers."""

import functools
import http.server
import logging
import re
import sys
import threading
import types
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import engine.utils.dl_utils as dl
from engine.utils.dl_utils import time_counter as tc_module


@pytest.fixture
def fake_clock(monkeypatch):
    """perf_counter advancing by the queued durations (seconds), so averages are exact."""
    state = {'now': 0.0, 'steps': []}

    def perf_counter():
        value = state['now']
        if state['steps']:
            state['now'] += state['steps'].pop(0)
        return value

    monkeypatch.setattr(tc_module, 'time', types.SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(dl.TimeCounter, 'instance_dict', {})
    return state


def test_time_counter_decorator_logs_average(fake_clock, capsys):  # TS-27
    @dl.TimeCounter()
    def fun1(x):
        return x + 1

    fake_clock['steps'] = [0.1, 0]  # start -> end takes 0.1 s
    assert fun1(1) == 2
    out = capsys.readouterr().out
    assert out == '[fun1]-time per run averaged in the past 1 runs: 100.0 ms\n'
    assert dl.TimeCounter(tag='fun1') is dl.TimeCounter.instance_dict['fun1']


def test_time_counter_log_interval_and_warmup(fake_clock, capsys):
    @dl.TimeCounter(log_interval=2, tag='fun')
    def fun():
        return None

    fake_clock['steps'] = [0.2, 0, 0.2, 0, 0.2, 0]
    for _ in range(3):
        fun()
    lines = capsys.readouterr().out.splitlines()
    assert lines == ['[fun]-time per run averaged in the past 2 runs: 200.0 ms']

    counter = dl.TimeCounter(log_interval=1, warmup_interval=3, tag='warm')
    fake_clock['steps'] = [1.0, 0, 1.0, 0, 0.05, 0, 0.15, 0]
    wrapped = counter(lambda: None)
    for _ in range(4):
        wrapped()
    lines = capsys.readouterr().out.splitlines()
    # runs 1-2 are warm-up; run 3 = 50 ms, runs 3-4 average 100 ms
    assert lines == ['[warm]-time per run averaged in the past 3 runs: 50.0 ms',
                     '[warm]-time per run averaged in the past 4 runs: 100.0 ms']


def test_time_counter_context_manager_and_errors(fake_clock, capsys, caplog, monkeypatch):
    fake_clock['steps'] = [0.3, 0]
    with dl.TimeCounter(tag='fun3'):
        pass
    assert capsys.readouterr().out == \
        '[fun3]-time per run averaged in the past 1 runs: 300.0 ms\n'
    with pytest.raises(AssertionError, match='tag'):
        with dl.TimeCounter():
            pass
    with pytest.raises(AssertionError, match='warmup_interval'):
        dl.TimeCounter(warmup_interval=0)
    # a logger routes the line through stdlib logging instead of print. (An MMLogger
    # made by an earlier test in this process forwards the 'engine' logger's records
    # to its console: only caplog may see them here.)
    engine_logger = logging.getLogger('engine')
    monkeypatch.setattr(engine_logger, 'handlers', [])
    fake_clock['steps'] = [0.01, 0]
    with caplog.at_level(logging.INFO, logger='engine'):
        with dl.TimeCounter(tag='logged', logger='current'):
            pass
    assert capsys.readouterr().out == ''
    assert [r.name for r in caplog.records] == ['engine.utils.dl_utils']
    assert re.fullmatch(r'\[logged\]-time per run averaged in the past 1 runs: 10\.0 ms',
                        caplog.records[0].getMessage())


def test_collect_env_keys():
    env = dl.collect_env()
    for key in ('sys.platform', 'Python', 'CUDA available', 'GCC', 'PyTorch',
                'PyTorch compiling details', 'engine'):
        assert key in env, key
    assert env['PyTorch'] == torch.__version__
    assert env['CUDA available'] == torch.cuda.is_available()
    assert '\n' not in env['Python']
    assert re.fullmatch(r'\d+\.\d+\.\d+.*', env['engine'])
    assert env['MMEngine'] == env['engine']
    assert env['sys.platform'] == sys.platform
    assert env['Python'] == sys.version.replace('\n', '')
    if torch.cuda.is_available():
        assert any(k.startswith('GPU ') for k in env) and 'NVCC' in env


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_dir(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(_Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f'http://127.0.0.1:{server.server_address[1]}', server
    server.shutdown()
    server.server_close()


def test_load_url_downloads_caches_and_checks_hash(http_dir, tmp_path):
    served, base, server = http_dir
    state = {'w': torch.arange(3)}
    torch.save(state, served / 'model.pth')
    import hashlib
    digest = hashlib.sha256((served / 'model.pth').read_bytes()).hexdigest()
    (served / f'model-{digest[:8]}.pth').write_bytes((served / 'model.pth').read_bytes())
    (served / 'bad-00000000.pth').write_bytes((served / 'model.pth').read_bytes())
    cache = tmp_path / 'cache'
    got = dl.load_url(f'{base}/model.pth', model_dir=str(cache), progress=False)
    assert torch.equal(got['w'], state['w'])
    assert (cache / 'model.pth').is_file()
    got = dl.load_url(f'{base}/model-{digest[:8]}.pth', model_dir=str(cache), progress=False,
                      check_hash=True)
    assert torch.equal(got['w'], state['w'])
    with pytest.raises(RuntimeError, match='invalid hash'):
        dl.load_url(f'{base}/bad-00000000.pth', model_dir=str(cache), progress=False,
                    check_hash=True)
    server.shutdown()  # the cached copy is reused without the network
    got = dl.load_url(f'{base}/model.pth', model_dir=str(cache), progress=False,
                      map_location='cpu')
    assert torch.equal(got['w'], state['w'])


def test_has_batch_norm_and_is_norm():
    assert dl.has_batch_norm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.Sequential(nn.BatchNorm2d(1))))
    assert dl.has_batch_norm(nn.SyncBatchNorm(2))
    assert not dl.has_batch_norm(nn.Sequential(nn.Linear(1, 1), nn.LayerNorm(1)))
    for layer in (nn.BatchNorm1d(2), nn.InstanceNorm2d(2), nn.GroupNorm(1, 2), nn.LayerNorm(2)):
        assert dl.is_norm(layer), layer
    assert not dl.is_norm(nn.Linear(1, 1))
    assert not dl.is_norm(nn.BatchNorm2d(2), exclude=nn.BatchNorm2d)
    assert not dl.is_norm(nn.GroupNorm(1, 2), exclude=(nn.LayerNorm, nn.GroupNorm))
    assert dl.is_norm(nn.GroupNorm(1, 2), exclude=nn.LayerNorm)
    with pytest.raises(TypeError, match='"exclude" must be either None or type or a tuple'):
        dl.is_norm(nn.BatchNorm2d(2), exclude='BatchNorm2d')
    with pytest.raises(TypeError, match='"exclude"'):
        dl.is_norm(nn.BatchNorm2d(2), exclude=(nn.LayerNorm, 1))


def test_mmcv_full_available(tmp_path, monkeypatch):
    for name in ('mmcv', 'mmcv._ext'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    pkg = tmp_path / 'mmcv'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert dl.mmcv_full_available() is False  # mmcv without compiled ops
    (pkg / '_ext.py').write_text('')
    assert dl.mmcv_full_available() is True
    for name in ('mmcv', 'mmcv._ext'):
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_tensor2imgs():
    batch = torch.zeros(2, 3, 4, 5)
    batch[:, 0] = 1.0  # channel 0 (R) is 1 -> last in BGR
    imgs = dl.tensor2imgs(batch, mean=(10, 20, 30), std=(2, 2, 2))
    assert len(imgs) == 2 and imgs[0].shape == (4, 5, 3)
    assert imgs[0].flags['C_CONTIGUOUS']
    np.testing.assert_allclose(imgs[0][0, 0], [30, 20, 12])
    rgb = dl.tensor2imgs(batch, to_bgr=False)
    np.testing.assert_allclose(rgb[1][0, 0], [1, 0, 0])
    gray = dl.tensor2imgs(torch.ones(1, 1, 2, 2), to_bgr=False)
    assert gray[0].shape == (2, 2, 1)
    with pytest.raises(AssertionError, match='4-D'):
        dl.tensor2imgs(torch.ones(3, 2, 2))
    with pytest.raises(AssertionError, match='1 or 3 channels'):
        dl.tensor2imgs(torch.ones(1, 2, 2, 2))
    with pytest.raises(AssertionError, match='to_bgr'):
        dl.tensor2imgs(torch.ones(1, 1, 2, 2))
    with pytest.raises(AssertionError, match='mean'):
        dl.tensor2imgs(batch, mean=(1, 2))


def test_torch_version_compares():
    assert dl.TORCH_VERSION == torch.__version__
    assert isinstance(dl.TORCH_VERSION, str)
    assert dl.TORCH_VERSION >= '1.8.0' and dl.TORCH_VERSION > (1, 8)


def test_set_multi_processing(monkeypatch):
    import torch.multiprocessing as mp
    previous = mp.get_start_method(allow_none=True)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setenv('MKL_NUM_THREADS', '4')
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            dl.set_multi_processing('spawn', distributed=True)
            assert mp.get_start_method() == 'spawn'
            import os
            assert os.environ['OMP_NUM_THREADS'] == '1'
            assert os.environ['MKL_NUM_THREADS'] == '4'
            assert any('OMP_NUM_THREADS' in str(w.message) for w in caught)
            caught.clear()
            dl.set_multi_processing('forkserver')
            assert mp.get_start_method() == 'forkserver'
            assert any('different from the previous setting' in str(w.message) for w in caught)
            caught.clear()
            with pytest.raises(ValueError, match=r"mp_cfg.mp_start_method='forx' is not a start "
                                                 r"method of this platform; use one of \["):
                dl.set_multi_processing('forx')
            assert mp.get_start_method() == 'forkserver' and not caught  # left as it was
    finally:
        mp.set_start_method(previous, force=True)


@pytest.mark.skipif(sys.platform == 'win32', reason='POSIX resource limits')
def test_raise_open_file_limit_raises_up_to_the_hard_limit_and_never_lowers():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
        dl.raise_open_file_limit(low + 100)
        want = low + 100 if hard == resource.RLIM_INFINITY else min(low + 100, hard)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (want, hard)
        dl.raise_open_file_limit(16)  # lower than now: left as it is
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (want, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_torch_meshgrid_is_ij_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        xx, yy = dl.torch_meshgrid(torch.arange(2), torch.arange(3))
    assert xx.shape == (2, 3) and xx[1, 0] == 1 and yy[0, 2] == 2


@pytest.mark.filterwarnings('ignore:`torch.jit.trace` is deprecated:DeprecationWarning')
def test_is_jit_tracing():
    seen = []

    def fn(x):
        seen.append(dl.is_jit_tracing())
        return x * 2

    assert dl.is_jit_tracing() is False
    torch.jit.trace(fn, torch.ones(1), check_trace=False)
    assert seen == [True]
