"""Storage backends of the Visualizer: local files, TensorBoard and Weights & Biases.

Backends initialise lazily (``force_init_env``): building one creates no folder
and imports neither tensorboard nor wandb; the first ``add_*`` call or
``experiment`` access does.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import os.path as osp
import tempfile
import warnings
from typing import Any, Callable, Optional, Sequence, TypeVar, Union

import numpy as np
import torch

from engine.config import Config
from engine.fileio.handlers.json_handler import set_default
from engine.registry import VISBACKENDS

__all__ = [
    "BaseVisBackend",
    "LocalVisBackend",
    "TensorboardVisBackend",
    "WandbVisBackend",
    "force_init_env",
]

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])



def _jsonable(value: Any) -> Any:
    """``json``'s fallback for the scalar files: a tensor as its number, then what
    ``engine.fileio`` writes (NumPy values, sets)."""
    if isinstance(value, torch.Tensor):
        return value.item()
    return set_default(value)


# Built once: json.dumps(obj, default=...) builds an encoder per call, and the
# scalar files get a line at every log interval.
_encode_json = json.JSONEncoder(default=_jsonable).encode


def force_init_env(old_func: F) -> F:
    """Run ``self._init_env()`` once before the first call of the wrapped method."""

    @functools.wraps(old_func)
    def wrapper(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not hasattr(obj, "_init_env"):
            raise AttributeError(f"{type(obj)} does not have _init_env method.")
        if not getattr(obj, "_env_initialized", False):
            logger.debug("Attribute `_env_initialized` is not defined in %s or "
                         "`%s._env_initialized is False, `_init_env` will be called and "
                         "%s._env_initialized will be set to True", type(obj),
                         type(obj).__name__, type(obj).__name__)
            obj._init_env()
            obj._env_initialized = True
        return old_func(obj, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _import_extra(module: str, extra: str, requirement: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'Please run "pip install {requirement}" to install {extra} '
            f"(or 'pip install engine-visualization[{extra}]'); {module} is needed by "
            "this visualization backend") from exc


class BaseVisBackend:
    """Interface of a storage backend; every ``add_*`` method is a no-op by default.

    Subclasses override ``_init_env`` (the real setup, run on first use) and the
    ``add_*`` methods they support, decorating them with ``force_init_env``.
    Nothing is abstract, so a backend overriding only ``add_image`` is valid.
    """

    def __init__(self, save_dir: str) -> None:
        self._save_dir = save_dir
        self._env_initialized = False

    @property
    def experiment(self) -> Any:
        """The underlying writer (wandb module, SummaryWriter, ...) for features beyond this API."""
        return self

    def _init_env(self) -> None:
        """Create folders and writers; called once, on first use."""

    def add_config(self, config: Config, **kwargs: Any) -> None:
        """Record the run's config."""

    def add_graph(self, model: torch.nn.Module, data_batch: Sequence[dict], **kwargs: Any) -> None:
        """Record the model graph."""

    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Record an RGB image."""

    def add_scalar(self, name: str, value: Union[int, float, torch.Tensor, np.ndarray],
                   step: int = 0, **kwargs: Any) -> None:
        """Record one scalar."""

    def add_scaler(self, *args: Any, **kwargs: Any) -> None:
        """Alias of :meth:`add_scalar`, the spelling of the manual's examples."""
        self.add_scalar(*args, **kwargs)

    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        """Record several scalars."""

    def flush(self) -> None:
        """Push buffered records to storage, so a crash after this loses none of them."""

    def close(self) -> None:
        """Flush and release resources."""


def _write_png(path: str, image: np.ndarray) -> None:
    """Write an RGB uint8 image as PNG through a temp file in the same folder."""
    from PIL import Image  # pillow is a dependency of matplotlib

    folder = osp.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            Image.fromarray(np.ascontiguousarray(image)).save(f, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


@VISBACKENDS.register_module()
class LocalVisBackend(BaseVisBackend):
    """Writes under ``save_dir``: PNG images, scalars as JSON lines, the config as .py.

    Args:
        save_dir: root folder (``<visualizer save_dir>/vis_data`` through a Visualizer).
        img_save_dir: image folder, relative to ``save_dir``.
        config_save_file: config file name (must end with .py).
        scalar_save_file: scalar file name (must end with .json); one JSON object per line.
    """

    def __init__(self, save_dir: str, img_save_dir: str = "vis_image",
                 config_save_file: str = "config.py",
                 scalar_save_file: str = "scalars.json") -> None:
        assert config_save_file.split(".")[-1] == "py", (
            f"config_save_file should end with .py, but got {config_save_file!r}")
        assert scalar_save_file.split(".")[-1] == "json", (
            f"scalar_save_file should end with .json, but got {scalar_save_file!r}")
        super().__init__(save_dir)
        self._img_save_dir = img_save_dir
        self._config_save_file = config_save_file
        self._scalar_save_file = scalar_save_file
        self._extra_scalar_files: dict = {}  # file_path -> checked full path
        self._open_scalar_files: dict = {}  # full path -> unbuffered append-mode file

    def _init_env(self) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        self._img_save_dir = osp.join(self._save_dir, self._img_save_dir)
        self._config_save_file = osp.join(self._save_dir, self._config_save_file)
        self._scalar_save_file = osp.join(self._save_dir, self._scalar_save_file)

    @property  # type: ignore[misc]
    @force_init_env
    def experiment(self) -> LocalVisBackend:
        return self

    @force_init_env
    def add_config(self, config: Config, **kwargs: Any) -> None:
        assert isinstance(config, Config), (
            f"config should be an engine.config.Config, but got {type(config)}")
        config.dump(self._config_save_file)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Save ``image`` (RGB uint8) as ``<img_save_dir>/<name>_<step>.png``."""
        assert image.dtype == np.uint8, f"image {name!r} should be uint8, but got {image.dtype}"
        os.makedirs(self._img_save_dir, exist_ok=True)
        _write_png(osp.join(self._img_save_dir, f"{name}_{step}.png"), image)

    @force_init_env
    def add_scalar(self, name: str, value: Union[int, float, torch.Tensor, np.ndarray],
                   step: int = 0, **kwargs: Any) -> None:
        """Append ``{name: value, "step": step}`` as one line of the scalar file."""
        if isinstance(value, torch.Tensor):
            value = value.item()
        self._append(self._line({name: value, "step": step}), self._scalar_save_file)

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        """Append the dict (plus ``step`` unless it has one) to the scalar file and file_path."""
        assert isinstance(scalar_dict, dict), (
            f"scalar_dict should be a dict, but got {type(scalar_dict)}")
        # a shallow copy keeps the caller's dict as it was: _line only reads values
        scalar_dict = dict(scalar_dict)
        scalar_dict.setdefault("step", step)
        line = self._line(scalar_dict)
        if file_path is not None:
            self._append(line, self._extra_scalar_file(file_path))
        self._append(line, self._scalar_save_file)

    def _extra_scalar_file(self, file_path: str) -> str:
        """``save_dir/file_path``, checked once per name (this runs at every log line)."""
        checked = self._extra_scalar_files
        path = checked.get(file_path)
        if path is None:
            assert file_path.split(".")[-1] == "json", (
                f"file_path should end with .json, but got {file_path!r}")
            path = osp.join(self._save_dir, file_path)
            assert osp.abspath(path) != osp.abspath(self._scalar_save_file), (
                f"file_path {file_path!r} must differ from the scalar file "
                f"{self._scalar_save_file!r}")
            checked[file_path] = path
        return path

    @staticmethod
    def _line(value: dict) -> str:
        """One JSON line of ``value`` (tensors and NumPy values as numbers)."""
        return _encode_json(value) + "\n"

    def _append(self, line: str, file_path: str) -> None:
        # One O_APPEND write per line: whole lines even with several writers, and
        # nothing buffered in the process, so a crash loses no written line. The
        # file stays open: opening it costs more than the write (~40 us on a VM).
        file = self._open_scalar_files.get(file_path)
        if file is None:
            file = self._open_scalar_files[file_path] = open(file_path, "ab", buffering=0)
        file.write(line.encode("utf-8"))

    def close(self) -> None:
        files, self._open_scalar_files = self._open_scalar_files, {}
        for file in files.values():
            file.close()

    def __del__(self) -> None:
        # a backend used without close() (scripts often do) still closes its files
        if getattr(self, "_open_scalar_files", None):
            self.close()


@VISBACKENDS.register_module()
class TensorboardVisBackend(BaseVisBackend):
    """Writes TensorBoard event files (``events.out.tfevents.*``) into ``save_dir``."""

    def __init__(self, save_dir: str) -> None:
        super().__init__(save_dir)

    def _init_env(self) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        writer_module = _import_extra("torch.utils.tensorboard", "tensorboard",
                                     "future tensorboard")
        self._tensorboard = writer_module.SummaryWriter(self._save_dir)

    @property  # type: ignore[misc]
    @force_init_env
    def experiment(self) -> Any:
        """The ``SummaryWriter``."""
        return self._tensorboard

    @force_init_env
    def add_config(self, config: Config, **kwargs: Any) -> None:
        self._tensorboard.add_text("config", config.pretty_text)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        self._tensorboard.add_image(name, image, step, dataformats="HWC")

    @force_init_env
    def add_scalar(self, name: str, value: Union[int, float, torch.Tensor, np.ndarray],
                   step: int = 0, **kwargs: Any) -> None:
        """Write a number; other types are skipped with a warning."""
        if isinstance(value, (int, float, torch.Tensor, np.ndarray, np.number)):
            self._tensorboard.add_scalar(name, value, step)
        else:
            warnings.warn(f"Got {type(value)}, but numpy array, torch tensor, int or float "
                          f"are expected. skip it！ (scalar {name!r})", UserWarning, stacklevel=2)

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        """Write each entry as its own scalar; ``file_path`` is ignored."""
        assert isinstance(scalar_dict, dict), (
            f"scalar_dict should be a dict, but got {type(scalar_dict)}")
        assert "step" not in scalar_dict, (
            "Please set it directly through the step parameter (scalar_dict has a 'step' key)")
        for key, value in scalar_dict.items():
            self.add_scalar(key, value, step)

    def flush(self) -> None:
        # the writer otherwise holds events for up to two minutes, and drops
        # them when the process exits without close()
        if hasattr(self, "_tensorboard"):
            self._tensorboard.flush()

    def close(self) -> None:
        if hasattr(self, "_tensorboard"):
            self._tensorboard.close()


@VISBACKENDS.register_module()
class WandbVisBackend(BaseVisBackend):
    """Logs to Weights & Biases.

    Args:
        save_dir: folder for the wandb run directory (``init_kwargs['dir']`` by default).
        init_kwargs: keyword arguments of ``wandb.init`` (project, name, mode, ...).
        define_metric_cfg: ``{metric: summary}`` passed to ``wandb.define_metric``,
            e.g. ``{'coco/bbox_mAP': 'max'}``.
        commit: whether each ``log`` call advances wandb's step.
    """

    def __init__(self, save_dir: str, init_kwargs: Optional[dict] = None,
                 define_metric_cfg: Optional[dict] = None, commit: Optional[bool] = True) -> None:
        super().__init__(save_dir)
        self._init_kwargs = init_kwargs
        self._define_metric_cfg = define_metric_cfg
        self._commit = commit

    def _init_env(self) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        init_kwargs = dict(self._init_kwargs) if self._init_kwargs is not None else {}
        init_kwargs.setdefault("dir", self._save_dir)
        wandb = _import_extra("wandb", "wandb", "wandb")
        wandb.init(**init_kwargs)
        if self._define_metric_cfg is not None:
            for metric, summary in self._define_metric_cfg.items():
                wandb.define_metric(metric, summary=summary)
        self._wandb = wandb

    @property  # type: ignore[misc]
    @force_init_env
    def experiment(self) -> Any:
        """The ``wandb`` module, for ``wandb.Table``, ``wandb.log`` and friends."""
        return self._wandb

    @force_init_env
    def add_config(self, config: Config, **kwargs: Any) -> None:
        """Save the config as ``config.py`` in the run folder (wandb uploads it)."""
        config.dump(osp.join(self._wandb.run.dir, "config.py"))

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        self._wandb.log({name: self._wandb.Image(image)}, commit=self._commit)

    @force_init_env
    def add_scalar(self, name: str, value: Union[int, float, torch.Tensor, np.ndarray],
                   step: int = 0, **kwargs: Any) -> None:
        self._wandb.log({name: value}, commit=self._commit)

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        self._wandb.log(scalar_dict, commit=self._commit)

    def close(self) -> None:
        if hasattr(self, "_wandb"):
            self._wandb.join()
