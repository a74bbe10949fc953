"""Process-level settings a data-loading run wants before workers start."""

import os
import platform
import warnings

import torch.multiprocessing as mp


def set_multi_processing(mp_start_method: str = 'fork', opencv_num_threads: int = 0,
                         distributed: bool = False) -> None:
    """Set the multiprocessing start method, OpenCV threads and (distributed) OMP/MKL threads.

    Many dataloader workers each running many OpenMP threads oversubscribe the
    CPU, hence one thread per process when distributed unless the user chose.
    """
    if platform.system() != 'Windows':
        methods = mp.get_all_start_methods()
        if mp_start_method not in methods:
            raise ValueError(f'mp_cfg.mp_start_method={mp_start_method!r} is not a start method '
                             f'of this platform; use one of {methods}')
        current = mp.get_start_method(allow_none=True)
        if current is not None and current != mp_start_method:
            warnings.warn(f'Multi-processing start method `{mp_start_method}` is different '
                          f'from the previous setting `{current}`. It will be force set to '
                          f'`{mp_start_method}`.', stacklevel=2)
        mp.set_start_method(mp_start_method, force=True)
    try:
        import cv2
    except ImportError:
        pass
    else:
        cv2.setNumThreads(opencv_num_threads)
    if distributed:
        for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            if var not in os.environ:
                warnings.warn(f'Setting {var} environment variable for each process to be 1 '
                              'by default, to avoid your system being overloaded; tune it '
                              'for best performance.', stacklevel=2)
                os.environ[var] = '1'


def raise_open_file_limit(limit: int = 4096) -> None:
    """Raise this process's soft limit on open files to ``limit`` (capped by the hard
    limit, never lowered): dataloader workers share tensors through file descriptors."""
    if platform.system() == 'Windows':
        return
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(limit, soft)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
