"""Property tests: InstanceData indexing and ``cat`` agree with indexing each
field by itself (tensors, arrays, lists, tuples and strings side by side)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.structures import InstanceData

META = dict(img_id=7, img_shape=(4, 6, 3))


def _instances(n: int, seed: int) -> InstanceData:
    g = torch.Generator().manual_seed(seed)
    return InstanceData(metainfo=META,
                        bboxes=torch.rand(n, 4, generator=g),
                        labels=torch.randint(0, 9, (n,), generator=g),
                        masks=np.arange(n * 2).reshape(n, 2) + seed,
                        names=[f'n{seed}_{i}' for i in range(n)],
                        ids=tuple(range(seed, seed + n)),
                        chars=''.join(chr(97 + (seed + i) % 26) for i in range(n)))


def _positions(item, n: int) -> list:
    """The instance positions ``item`` selects, computed without InstanceData."""
    if isinstance(item, int):
        return [range(n)[item]]
    if isinstance(item, slice):
        return list(range(n))[item]
    values = item.tolist() if hasattr(item, 'tolist') else list(item)
    if values and isinstance(values[0], bool):
        return [i for i, keep in enumerate(values) if keep]
    return [range(n)[v] for v in values]


def _check(result: InstanceData, source: InstanceData, positions: list) -> None:
    assert result.metainfo == META
    assert len(result) == len(positions)
    assert result.keys() == source.keys()
    index = torch.tensor(positions, dtype=torch.long)
    assert torch.equal(result.bboxes, source.bboxes[index])
    assert torch.equal(result.labels, source.labels[index])
    assert np.array_equal(result.masks, source.masks[np.array(positions, dtype=np.int64)])
    assert result.masks.shape[1:] == (2,)
    assert result.names == [source.names[i] for i in positions]
    assert result.ids == tuple(source.ids[i] for i in positions)
    assert result.chars == ''.join(source.chars[i] for i in positions)


@st.composite
def indexes(draw, n: int):
    kind = draw(st.sampled_from(['int', 'slice', 'bool', 'long', 'list', 'ndarray']))
    if kind == 'int':
        return draw(st.integers(-n, n - 1))
    if kind == 'slice':
        bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
        step = draw(st.one_of(st.none(), st.integers(1, 3)))
        return slice(draw(bound), draw(bound), step)
    if kind == 'bool':
        return torch.tensor(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    positions = draw(st.lists(st.integers(-n, n - 1), max_size=2 * n))
    if kind == 'long':
        return torch.tensor(positions, dtype=torch.long)
    if kind == 'list':
        return positions
    return np.array(positions, dtype=draw(st.sampled_from([np.int64, np.int32])))


@settings(deadline=None)
@given(data=st.data(), n=st.integers(1, 8))
def test_indexing_matches_each_field_indexed_alone(data, n):
    source = _instances(n, seed=n)
    item = data.draw(indexes(n))
    _check(source[item], source, _positions(item, n))


@settings(deadline=None)
@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=5))
def test_cat_matches_each_field_concatenated(sizes):
    parts = [_instances(size, seed=i) for i, size in enumerate(sizes)]
    joined = InstanceData.cat(parts)
    assert len(joined) == sum(sizes)
    assert torch.equal(joined.bboxes, torch.cat([p.bboxes for p in parts]))
    assert np.array_equal(joined.masks, np.concatenate([p.masks for p in parts]))
    assert joined.names == [name for p in parts for name in p.names]
    assert joined.ids == tuple(i for p in parts for i in p.ids)
    assert joined.chars == ''.join(p.chars for p in parts)
    assert joined.metainfo == META
    if len(parts) > 1:  # one part is returned as it is (as the reference does)
        # a new element: adding a field to it leaves the parts alone
        joined.extra = torch.zeros(sum(sizes))
        assert all('extra' not in p for p in parts)


def test_out_of_range_int_names_the_index():
    with pytest.raises(IndexError, match='Index 3 out of range'):
        _instances(3, seed=0)[3]
