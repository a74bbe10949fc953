"""ConcatDataset, RepeatDataset, ClassBalancedDataset (DW-01..04; scenarios 24, 25)."""
import math

import pytest

from engine.dataset import BaseDataset, ClassBalancedDataset, ConcatDataset, RepeatDataset
from engine.registry import DATASETS


class WrapperTestListDataset(BaseDataset):
    """Dataset built from an in-memory list of ids (no annotation file)."""

    def __init__(self, ids, cat_ids=None, meta=None, **kwargs):
        self.ids = ids
        self.cat_ids = cat_ids
        super().__init__(metainfo=meta or dict(classes=("a", "b")), **kwargs)

    def load_data_list(self):
        return [dict(id=i) for i in self.ids]

    def get_cat_ids(self, idx):
        return self.cat_ids[idx]


DATASETS.register_module(module=WrapperTestListDataset, force=True)


def test_concat():
    ds1, ds2 = WrapperTestListDataset([10, 11]), WrapperTestListDataset([20, 21, 22])
    cat = ConcatDataset([ds1, ds2])
    assert len(cat) == 5 and cat.cumulative_sizes == [2, 5]
    assert cat.get_data_info(2) == ds2.get_data_info(0)
    assert cat[-1] == ds2[2]
    assert cat.get_data_info(-5)["id"] == 10
    with pytest.raises(ValueError, match=r"absolute value of index\(-6\) should not exceed"):
        cat.get_data_info(-6)
    assert cat.metainfo == ds1.metainfo
    with pytest.raises(NotImplementedError, match="^`ConcatDataset` dose not support `get_subset`"):
        cat.get_subset(1)
    with pytest.raises(NotImplementedError):
        cat.get_subset_(1)
    ds3 = WrapperTestListDataset([1, 2, 3, 4])
    assert ConcatDataset([ds1, ds2, ds3]).cumulative_sizes == [2, 5, 9]


def test_concat_metainfo_mismatch_and_bad_elements():
    with pytest.raises(ValueError, match="The meta information of the 2-th dataset does not match"):
        ConcatDataset([WrapperTestListDataset([1]),
                       WrapperTestListDataset([2], meta=dict(classes=("x",)))])
    with pytest.raises(TypeError, match="should be config or `BaseDataset` instance"):
        ConcatDataset([WrapperTestListDataset([1]), [1, 2]])


def test_wrappers_accept_configs_and_are_registered():
    cfg = dict(type="WrapperTestListDataset", ids=[1, 2])
    cat = DATASETS.build(dict(type="ConcatDataset", datasets=[cfg, cfg]))
    assert isinstance(cat, ConcatDataset) and len(cat) == 4
    rep = DATASETS.build(dict(type="RepeatDataset", dataset=cfg, times=3))
    assert len(rep) == 6
    cbd = DATASETS.build(dict(type="ClassBalancedDataset", oversample_thr=0.1,
                              dataset=dict(cfg, cat_ids=[[0], [1]])))
    assert len(cbd) == 2


def test_repeat():
    ds1 = WrapperTestListDataset([10, 11])
    rep = RepeatDataset(ds1, times=5)
    assert len(rep) == 10
    assert rep.get_data_info(3) == ds1.get_data_info(1)
    assert rep[4] == ds1[0]
    with pytest.raises(NotImplementedError, match="^`RepeatDataset` dose not support"):
        rep.get_subset_(1)


def test_lazy_wrappers():
    for make in (lambda d: ConcatDataset([d, d], lazy_init=True),
                 lambda d: RepeatDataset(d, 2, lazy_init=True),
                 lambda d: ClassBalancedDataset(d, 0.5, lazy_init=True)):
        inner = WrapperTestListDataset([1, 2], cat_ids=[[0], [1]], lazy_init=True)
        wrapper = make(inner)
        assert wrapper._fully_initialized is False and inner._fully_initialized is False
        with pytest.warns(UserWarning):
            assert len(wrapper) >= 2
        assert wrapper._fully_initialized is True and inner._fully_initialized is True
        with pytest.warns(UserWarning, match="Please call `full_init` method manually"):
            make(WrapperTestListDataset([1, 2], cat_ids=[[0], [1]], lazy_init=True))[0]


def test_class_balanced_repeat_factors():
    inner = WrapperTestListDataset([0, 1, 2, 3], cat_ids=[[0], [0], [0], [1]])
    cbd = ClassBalancedDataset(inner, oversample_thr=0.5)
    factors = ClassBalancedDataset._get_repeat_factors(inner, 0.5)
    assert factors == pytest.approx([1, 1, 1, math.sqrt(2)])
    assert cbd.repeat_indices == [0, 1, 2, 3, 3]
    assert len(cbd) == 5
    assert cbd.get_data_info(4) == inner.get_data_info(3)
    assert cbd.get_cat_ids(4) == [1]
    assert cbd[3] == inner[3]
    assert len(ClassBalancedDataset(inner, oversample_thr=1e-3)) == 4


def test_class_balanced_samples_without_categories_keep_their_place():
    # sample 1 has no category: factor 1, and the indices after it stay aligned
    inner = WrapperTestListDataset([0, 1, 2, 3], cat_ids=[[0], [], [0, 1], [0]])
    cbd = ClassBalancedDataset(inner, oversample_thr=1.0)
    # f(0) = 3/4 -> r = sqrt(4/3) -> 2 copies; f(1) = 1/4 -> r = 2 -> 2 copies
    assert cbd.repeat_indices == [0, 0, 1, 2, 2, 3, 3]
    assert [cbd.get_data_info(i)["id"] for i in range(len(cbd))] == [0, 0, 1, 2, 2, 3, 3]
