"""Text progress bars and helpers that run a function over tasks with one."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Iterator, Sized
from typing import Any, Callable, TextIO

from .timer import Timer

__all__ = ['ProgressBar', 'track_progress', 'track_iter_progress', 'track_parallel_progress']


class ProgressBar:
    """A progress bar written to ``file``; without ``task_num`` it only counts."""

    def __init__(self, task_num: int = 0, bar_width: int = 50, start: bool = True,
                 file: TextIO = sys.stdout) -> None:
        self.task_num = task_num
        self.bar_width = bar_width
        self.completed = 0
        self.file = file
        if start:
            self.start()

    @property
    def terminal_width(self) -> int:
        return shutil.get_terminal_size().columns

    def start(self) -> None:
        if self.task_num > 0:
            self.file.write(f'[{" " * self.bar_width}] 0/{self.task_num}, elapsed: 0s, ETA:')
        else:
            self.file.write('completed: 0, elapsed: 0s')
        self.file.flush()
        self.timer = Timer()

    def update(self, num_tasks: int = 1) -> None:
        assert num_tasks > 0, f'num_tasks must be positive, but got {num_tasks}'
        self.completed += num_tasks
        elapsed = self.timer.since_start()
        fps = self.completed / elapsed if elapsed > 0 else float('inf')
        if self.task_num > 0:
            percentage = self.completed / float(self.task_num)
            eta = int(elapsed * (1 - percentage) / percentage + 0.5)
            msg = (f'\r[{{}}] {self.completed}/{self.task_num}, {fps:.1f} task/s, '
                   f'elapsed: {int(elapsed + 0.5)}s, ETA: {eta:5}s')
            bar_width = min(self.bar_width, int(self.terminal_width - len(msg)) + 2,
                            int(self.terminal_width * 0.6))
            bar_width = max(2, bar_width)
            mark_width = int(bar_width * percentage)
            bar_chars = '>' * mark_width + ' ' * (bar_width - mark_width)
            self.file.write(msg.format(bar_chars))
        else:
            self.file.write(f'completed: {self.completed}, elapsed: {int(elapsed + 0.5)}s, '
                            f'{fps:.1f} tasks/s')
        self.file.flush()


def _split_tasks(tasks: Any) -> tuple[Iterable, int]:
    """``tasks`` is a sized iterable or an ``(iterable, total)`` tuple."""
    if isinstance(tasks, tuple):
        assert len(tasks) == 2, 'a tuple of tasks must be (iterable, total)'
        assert isinstance(tasks[0], Iterable), 'the first item of tasks must be iterable'
        assert isinstance(tasks[1], int), 'the total number of tasks must be an int'
        return tasks[0], tasks[1]
    if isinstance(tasks, Iterable) and isinstance(tasks, Sized):
        return tasks, len(tasks)
    raise TypeError('"tasks" must be an iterable object or a (iterator, int) tuple')


def track_progress(func: Callable, tasks: Any, bar_width: int = 50, file: TextIO = sys.stdout,
                   **kwargs: Any) -> list:
    """Run ``func(task, **kwargs)`` on each task in order, showing a progress bar."""
    tasks, task_num = _split_tasks(tasks)
    prog_bar = ProgressBar(task_num, bar_width, file=file)
    results = []
    for task in tasks:
        results.append(func(task, **kwargs))
        prog_bar.update()
    prog_bar.file.write('\n')
    return results


def track_iter_progress(tasks: Any, bar_width: int = 50,
                        file: TextIO = sys.stdout) -> Iterator:
    """Yield each task, updating a progress bar after it is processed."""
    tasks, task_num = _split_tasks(tasks)
    prog_bar = ProgressBar(task_num, bar_width, file=file)
    for task in tasks:
        yield task
        prog_bar.update()
    prog_bar.file.write('\n')


def track_parallel_progress(func: Callable, tasks: Any, nproc: int,
                            initializer: Callable | None = None, initargs: tuple | None = None,
                            bar_width: int = 50, chunksize: int = 1, skip_first: bool = False,
                            keep_order: bool = True, file: TextIO = sys.stdout) -> list:
    """Run ``func`` over the tasks in a ``multiprocessing.Pool`` with a progress bar.

    ``keep_order`` returns results in input order; ``skip_first`` leaves the
    first ``nproc * chunksize`` results (pool start-up) out of the speed.
    """
    tasks, task_num = _split_tasks(tasks)
    if initargs is not None and not isinstance(initargs, tuple):
        raise TypeError('"initargs" must be a tuple')
    from multiprocessing import Pool

    pool = Pool(nproc, initializer, initargs or ())
    start = not skip_first
    task_num -= nproc * chunksize * int(skip_first)
    prog_bar = ProgressBar(task_num, bar_width, start, file=file)
    results = []
    try:
        gen = (pool.imap if keep_order else pool.imap_unordered)(func, tasks, chunksize)
        for result in gen:
            results.append(result)
            if skip_first:
                if len(results) < nproc * chunksize:
                    continue
                if len(results) == nproc * chunksize:
                    prog_bar.start()
                    continue
            prog_bar.update()
        prog_bar.file.write('\n')
    finally:
        pool.close()
        pool.join()
    return results
