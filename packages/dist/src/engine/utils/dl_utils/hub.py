"""Download (or reuse) a checkpoint by URL."""

from typing import Any, Callable, Optional, Union

import torch


def load_url(url: str, model_dir: Optional[str] = None,
             map_location: Optional[Union[str, torch.device, Callable]] = None,
             progress: bool = True, check_hash: bool = False,
             file_name: Optional[str] = None) -> Any:
    """Load a state dict from ``url``, caching it in ``<torch hub dir>/checkpoints``.

    Same contract as ``torch.hub.load_state_dict_from_url``: a cached file is
    reused, zip archives are unpacked and ``check_hash`` verifies the sha256
    prefix in names like ``name-<hash>.pth``.
    """
    return torch.hub.load_state_dict_from_url(url, model_dir=model_dir,
                                              map_location=map_location, progress=progress,
                                              check_hash=check_hash, file_name=file_name)
