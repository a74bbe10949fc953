"""Property test: a BaseDataset stored serialized (one byte buffer plus offsets)
answers exactly like the same dataset kept as a list of dicts, subsets included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dataset import BaseDataset


class ListDataset(BaseDataset):
    def __init__(self, infos, serialize_data):
        self._infos = infos
        super().__init__(serialize_data=serialize_data, lazy_init=False)

    def load_data_list(self):
        return [dict(info) for info in self._infos]


_info = st.fixed_dictionaries({'img_path': st.text(max_size=8), 'label': st.integers(0, 9)},
                              optional={'boxes': st.lists(st.floats(0, 1), max_size=4)})


@settings(deadline=None, max_examples=40)  # each dataset build runs gc
@given(infos=st.lists(_info, max_size=12), data=st.data())
def test_serialized_and_plain_datasets_agree(infos, data):
    plain, packed = ListDataset(infos, False), ListDataset(infos, True)
    assert len(plain) == len(packed) == len(infos)
    for i in range(-len(infos), len(infos)):
        assert packed.get_data_info(i) == plain.get_data_info(i)
    n = len(infos)
    indices = data.draw(st.one_of(
        st.integers(-n - 2, n + 2),
        st.lists(st.integers(-n, n - 1), max_size=6) if n else st.just([])))
    plain_sub, packed_sub = plain.get_subset(indices), packed.get_subset(indices)
    assert len(plain_sub) == len(packed_sub)
    assert [packed_sub.get_data_info(i) for i in range(len(packed_sub))] == \
        [plain_sub.get_data_info(i) for i in range(len(plain_sub))]
    # the originals are untouched by get_subset; get_subset_ works in place alike
    assert len(packed) == len(plain) == n
    plain.get_subset_(indices)
    packed.get_subset_(indices)
    assert [packed.get_data_info(i) for i in range(len(packed))] == \
        [plain.get_data_info(i) for i in range(len(plain))]
