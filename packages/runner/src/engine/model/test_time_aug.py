"""``BaseTTAModel``: run a model on several augmented copies of a batch and merge the results."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, List, Union

import torch.nn as nn

from engine.registry import MODELS
from engine.structures import BaseDataElement

__all__ = ['BaseTTAModel']


@MODELS.register_module()
class BaseTTAModel(nn.Module, metaclass=ABCMeta):
    """Test-time augmentation around a model that has ``test_step``.

    The batch holds one entry per augmentation (``TestTimeAug`` then
    ``pseudo_collate``): ``dict(inputs=[[img1_aug1, img2_aug1], [img1_aug2, ...]], ...)``.
    ``test_step`` runs the model once per augmentation and hands
    ``merge_preds`` one tuple per sample with its predictions across augmentations.

    Args:
        module: the model, or a config dict for ``MODELS``.
    """

    def __init__(self, module: Union[dict, nn.Module]) -> None:
        super().__init__()
        if isinstance(module, nn.Module):
            self.module = module
        elif isinstance(module, dict):
            self.module = MODELS.build(module)
        else:
            raise TypeError('The type of module should be a `nn.Module` instance or a dict, '
                            f'but got {module}')
        assert hasattr(self.module, 'test_step'), (
            'Model wrapped by BaseTTAModel must implement `test_step`!')

    @abstractmethod
    def merge_preds(self, data_samples_list: List[tuple]) -> List[BaseDataElement]:
        """Merge each sample's predictions (one tuple per sample) into one prediction."""

    def test_step(self, data: Union[dict, tuple, list]) -> List[Any]:
        """Predict every augmented copy of the batch, then merge per sample."""
        if isinstance(data, dict):
            num_augs = len(next(iter(data.values())))
            batches = [{key: value[i] for key, value in data.items()} for i in range(num_augs)]
        elif isinstance(data, (tuple, list)):
            num_augs = len(data[0])
            batches = [[item[i] for item in data] for i in range(num_augs)]
        else:
            raise TypeError('data given by dataLoader should be a dict, tuple or a list, '
                            f'but got {type(data)}')
        predictions = [self.module.test_step(batch) for batch in batches]
        return self.merge_preds(list(zip(*predictions)))
