"""LabelData: classification labels, plus label <-> one-hot helpers."""

from __future__ import annotations

import torch

from .base_data_element import BaseDataElement


class LabelData(BaseDataElement):
    """Unconstrained data fields; adds :meth:`label_to_onehot` and :meth:`onehot_to_label`."""

    @staticmethod
    def onehot_to_label(onehot: torch.Tensor) -> torch.Tensor:
        """Positions of the ones in a 1-D one-hot (or multi-hot) tensor."""
        assert isinstance(onehot, torch.Tensor), (
            f'onehot should be a torch.Tensor but got {type(onehot)}'
        )
        if onehot.ndim == 1 and (
            onehot.numel() == 0 or (onehot.max().item() <= 1 and onehot.min().item() >= 0)
        ):
            return onehot.nonzero().squeeze(-1)
        raise ValueError('input is not one-hot and can not convert to label')

    @staticmethod
    def label_to_onehot(label: torch.Tensor, num_classes: int) -> torch.Tensor:
        """One-hot vector of length ``num_classes`` (label's dtype and device)."""
        assert isinstance(label, torch.Tensor), (
            f'label should be a torch.Tensor but got {type(label)}'
        )
        onehot = label.new_zeros((num_classes,))
        if label.numel():
            top = int(label.max().item())
            assert top < num_classes, (
                f'label {top} is out of range for num_classes={num_classes}'
            )
        onehot[label] = 1
        return onehot
