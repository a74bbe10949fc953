"""BaseDataset: the OpenMMLab 2.0 annotation format, lazy loading and compact storage."""
from __future__ import annotations

import copy
import functools
import gc
import os.path as osp
import pickle
import sys
import time
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np
from torch.utils.data import Dataset

from engine.dist import get_rank
from engine.fileio import list_from_file, load
from engine.registry import TRANSFORMS
from engine.utils import ProgressBar

__all__ = ["BaseDataset", "Compose", "force_full_init"]

# A scan slower than this shows a progress bar (rank 0, terminal only).
PROGRESS_AFTER_S = 1.0
_PROGRESS_CHECK_EVERY = 1024


class Compose:
    """Apply transforms in order; a transform returning None stops the chain and yields None."""

    def __init__(self, transforms: Optional[Sequence[Union[dict, Callable]]]) -> None:
        self.transforms: List[Callable] = []
        for transform in transforms or []:
            if isinstance(transform, Mapping):
                built = TRANSFORMS.build(transform)
                if not callable(built):
                    raise TypeError(f"transform should be a callable object, but got {type(built)}")
                self.transforms.append(built)
            elif callable(transform):
                self.transforms.append(transform)
            else:
                raise TypeError(
                    f"transform must be a callable object or dict, but got {type(transform)}")

    def __call__(self, data: dict) -> Optional[dict]:
        for transform in self.transforms:
            data = transform(data)
            if data is None:
                return None
        return data

    def __repr__(self) -> str:
        return "Compose(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


def force_full_init(old_func: Callable) -> Callable:
    """Decorator: run ``obj.full_init()`` first if the object is not fully initialised."""

    @functools.wraps(old_func)
    def wrapper(obj: Any, *args, **kwargs):
        if not hasattr(obj, "full_init"):
            raise AttributeError(f"{type(obj)} does not have full_init method.")
        if not getattr(obj, "_fully_initialized", False):
            warnings.warn("Attribute `_fully_initialized` is not defined in "
                          f"{type(obj)} or `type(obj)._fully_initialized is False, "
                          "`full_init` will be called and "
                          f"{type(obj)}._fully_initialized will be set to True", stacklevel=2)
            obj.full_init()
            obj._fully_initialized = True
        return old_func(obj, *args, **kwargs)

    return wrapper


def _with_progress(items: Iterable, total: int, what: str) -> Iterator:
    """Yield ``items``; once the scan has taken more than PROGRESS_AFTER_S, show a bar.

    Only on rank 0 and only when stdout is a terminal, so logs and captured
    output stay clean. Time is checked every few items to keep the loop cheap.
    """
    start = time.perf_counter()
    bar: Optional[ProgressBar] = None
    pending = 0
    watch = get_rank() == 0 and sys.stdout.isatty()
    for i, item in enumerate(items):
        yield item
        if not watch or (i + 1) % _PROGRESS_CHECK_EVERY:
            continue
        pending = i + 1 - (bar.completed if bar else 0)
        if bar is None:
            if time.perf_counter() - start < PROGRESS_AFTER_S:
                continue
            sys.stdout.write(f"{what}: ")
            bar = ProgressBar(total, file=sys.stdout)
        bar.update(pending)
    if bar is not None:
        if total > bar.completed:
            bar.update(total - bar.completed)
        sys.stdout.write("\n")


def _release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc), so dropping the data list shows in RSS."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is still reusable in-process
        pass


def _is_abs(path: str) -> bool:
    return osp.isabs(path) or path.startswith(("http://", "https://", "s3://"))


class BaseDataset(Dataset):
    """Dataset reading an annotation file with ``metainfo`` and ``data_list``.

    Subclasses usually override :meth:`parse_data_info` (or :meth:`load_data_list`
    for other formats). With ``serialize_data=True`` (default) the data list is
    pickled into one NumPy buffer so that dataloader workers share it instead of
    copying a list of Python dicts each (copy-on-read of refcounts).
    """

    METAINFO: dict = dict()
    _fully_initialized: bool = False

    def __init__(self, ann_file: str = "", metainfo: Optional[dict] = None, data_root: str = "",
                 data_prefix: Optional[dict] = None, filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None, serialize_data: bool = True,
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 test_mode: bool = False, lazy_init: bool = False,
                 max_refetch: int = 1000) -> None:
        self.data_root = data_root
        self.data_prefix = copy.copy(data_prefix) if data_prefix is not None else dict(img_path="")
        self.ann_file = ann_file
        self.filter_cfg = copy.deepcopy(filter_cfg)
        self._indices = indices
        self.serialize_data = serialize_data
        self.test_mode = test_mode
        self.max_refetch = max_refetch
        self.data_list: List[dict] = []
        self._metainfo = self._load_metainfo(copy.deepcopy(metainfo))
        self._join_prefix()
        self.pipeline = Compose(pipeline)
        if not lazy_init:
            self.full_init()

    # -- initialisation -------------------------------------------------------
    def full_init(self) -> None:
        """Load, filter, subset and serialise the annotations (once)."""
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._get_unserialized_subset(self._indices)
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        """Class METAINFO overridden by ``metainfo``; str values naming a file become its lines."""
        cls_metainfo = copy.deepcopy(cls.METAINFO)
        if metainfo is None:
            return cls_metainfo
        if not isinstance(metainfo, Mapping):
            raise TypeError(f"metainfo should be a dict, but got {type(metainfo)}")
        for key, value in metainfo.items():
            if isinstance(value, str):
                try:
                    cls_metainfo[key] = list_from_file(value)
                except (TypeError, FileNotFoundError):
                    warnings.warn(f"{value} is not a meta file, simply parsed as meta information",
                                  stacklevel=3)
                    cls_metainfo[key] = value
            else:
                cls_metainfo[key] = value
        return cls_metainfo

    def _join_prefix(self) -> None:
        if self.ann_file and not _is_abs(self.ann_file) and self.data_root:
            self.ann_file = osp.join(self.data_root, self.ann_file)
        for key, prefix in self.data_prefix.items():
            if not isinstance(prefix, str):
                raise TypeError(f"prefix should be a string, but got {type(prefix)} "
                                f"(data_prefix[{key!r}] = {prefix!r})")
            if not _is_abs(prefix) and self.data_root:
                self.data_prefix[key] = osp.join(self.data_root, prefix)

    def load_data_list(self) -> List[dict]:
        """Read ``ann_file`` and turn each raw item into data infos via :meth:`parse_data_info`."""
        annotations = load(self.ann_file)
        if not isinstance(annotations, dict):
            raise TypeError("The annotations loaded from annotation file should be a dict, but got "
                            f"{type(annotations)} (file: {self.ann_file})")
        if "data_list" not in annotations or "metainfo" not in annotations:
            raise ValueError("Annotation must have data_list and metainfo keys "
                             f"(file: {self.ann_file}, keys: {sorted(annotations)})")
        for key, value in annotations["metainfo"].items():
            self._metainfo.setdefault(key, value)
        raw_list = annotations["data_list"]
        data_list: List[dict] = []
        for raw in _with_progress(raw_list, len(raw_list), f"Loading {self.ann_file}"):
            data_info = self.parse_data_info(raw)
            if isinstance(data_info, dict):
                data_list.append(data_info)
            elif isinstance(data_info, list):
                for item in data_info:
                    if not isinstance(item, dict):
                        raise TypeError(f"data_info must be list of dict, but got {type(item)}")
                data_list.extend(data_info)
            else:
                raise TypeError("data_info should be a dict or list of dict, but got "
                                f"{type(data_info)}")
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Join each ``data_prefix`` entry onto the matching path field of ``raw_data_info``."""
        for key, prefix in self.data_prefix.items():
            assert key in raw_data_info, (
                f"raw_data_info: {raw_data_info} dose not contain prefix key {key}, please check "
                "your data_prefix.")
            raw_data_info[key] = osp.join(prefix, raw_data_info[key])
        return raw_data_info

    def filter_data(self) -> List[dict]:
        """Drop unwanted data infos (default: keep all); subclasses use ``self.filter_cfg``."""
        return self.data_list

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category ids of sample ``idx`` (needed by ClassBalancedDataset)."""
        raise NotImplementedError(f"{type(self)} must implement `get_cat_ids` method")

    # -- storage --------------------------------------------------------------
    def _serialize_data(self):
        """Pickle every data info into one uint8 buffer plus cumulative end offsets."""
        dumps = functools.partial(pickle.dumps, protocol=4)
        blobs = [dumps(info) for info in _with_progress(self.data_list, len(self.data_list),
                                                        "Serializing data")]
        data_address = np.cumsum(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)))
        data_bytes = np.frombuffer(b"".join(blobs), dtype=np.uint8)
        del blobs
        self.data_list.clear()
        gc.collect()
        _release_free_memory()
        return data_bytes, data_address

    @property
    def metainfo(self) -> dict:
        """A copy of the meta information (classes, palette, ...)."""
        return copy.deepcopy(self._metainfo)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """An independent copy of the data info of ``idx`` (negative indices allowed)."""
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(f"index {idx} is out of range for a dataset of length {length}")
        if idx < 0:
            idx += length
        if self.serialize_data:
            start = 0 if idx == 0 else self.data_address[idx - 1].item()
            end = self.data_address[idx].item()
            data_info = pickle.loads(memoryview(self.data_bytes)[start:end])
        else:
            data_info = copy.deepcopy(self.data_list[idx])
        data_info["sample_idx"] = idx
        return data_info

    @force_full_init
    def __len__(self) -> int:
        if self.serialize_data:
            return len(self.data_address)
        return len(self.data_list)

    def prepare_data(self, idx: int) -> Any:
        """The pipeline applied to the data info of ``idx``."""
        return self.pipeline(self.get_data_info(idx))

    def __getitem__(self, idx: int) -> Any:
        if not self._fully_initialized:
            warnings.warn("Please call `full_init()` method manually to accelerate the speed.",
                          stacklevel=2)
            self.full_init()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise Exception("Test time pipline should not get `None` data_sample")
            return data
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise Exception(f"Cannot find valid image after {self.max_refetch}! Please check your "
                        "image path and pipeline")

    def _rand_another(self) -> int:
        return np.random.randint(0, len(self))

    # -- subsets --------------------------------------------------------------
    @force_full_init
    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep only ``indices`` (int n: first n, -n: last n; or explicit indices), in place."""
        if self.serialize_data:
            self.data_bytes, self.data_address = self._get_serialized_subset(indices)
        else:
            self.data_list = self._get_unserialized_subset(indices)

    @force_full_init
    def get_subset(self, indices: Union[Sequence[int], int]) -> BaseDataset:
        """A new dataset of the same class holding only ``indices``; the original is untouched."""
        sub = self._copy_without_annotation()
        if self.serialize_data:
            sub.data_bytes, sub.data_address = self._get_serialized_subset(indices)
        else:  # the infos themselves are copied: editing the subset's must not touch ours
            sub.data_list = copy.deepcopy(self._get_unserialized_subset(indices))
        return sub

    def _resolve_indices(self, indices: Union[Sequence[int], int]) -> Union[slice, List[int]]:
        if isinstance(indices, bool) or not isinstance(indices, (int, Sequence)) or \
                isinstance(indices, str):
            raise TypeError(f"indices should be a int or sequence of int, but got {type(indices)}")
        if isinstance(indices, int):
            return slice(0, indices) if indices >= 0 else slice(indices, None)
        for i in indices:
            if not isinstance(i, (int, np.integer)):
                raise TypeError("indices should be a int or sequence of int, but got an element "
                                f"{i!r} of type {type(i)}")
        return list(indices)

    def _get_unserialized_subset(self, indices: Union[Sequence[int], int]) -> List[dict]:
        which = self._resolve_indices(indices)
        if isinstance(which, slice):
            return self.data_list[which]
        return [self.data_list[i] for i in which]

    def _get_serialized_subset(self, indices: Union[Sequence[int], int]):
        which = self._resolve_indices(indices)
        n = len(self.data_address)
        if isinstance(which, slice):
            which = range(n)[which]
            if not len(which):
                return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
            begin = 0 if which.start == 0 else self.data_address[which.start - 1]
            end = self.data_address[which.stop - 1]
            addresses = self.data_address[which.start:which.stop] - begin
            return self.data_bytes[begin:end].copy(), addresses
        ends = self.data_address
        starts = np.concatenate([[0], ends[:-1]])
        chunks = [self.data_bytes[starts[i]:ends[i]] for i in which]
        lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
        data_bytes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
        return data_bytes, np.cumsum(lengths)

    def _copy_without_annotation(self) -> BaseDataset:
        """Deep copy of everything except the (possibly huge) annotation storage."""
        cls = type(self)
        other = cls.__new__(cls)
        # One memo for all attributes, with self already mapped to the copy: an
        # attribute referring back to the dataset (a bound method in the
        # pipeline) refers to the copy, instead of deep-copying all annotations.
        memo = {id(self): other}
        for key, value in self.__dict__.items():
            if key in ("data_list", "data_address", "data_bytes"):
                continue
            other.__dict__[key] = copy.deepcopy(value, memo)
        other.data_list = []
        return other
