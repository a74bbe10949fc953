"""engine.structures: data containers passed between engine components."""

from .base_data_element import BaseDataElement
from .instance_data import InstanceData
from .label_data import LabelData
from .pixel_data import PixelData

__version__ = "0.1.0"

__all__ = ['BaseDataElement', 'InstanceData', 'LabelData', 'PixelData']
