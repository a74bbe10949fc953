"""Property test: a MessageHub saved into a checkpoint (plain data, read back by
``torch.load(weights_only=True)``) restores every resumed entry exactly."""

from __future__ import annotations

import io
import itertools

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.logging import MessageHub
from engine.runner.checkpoint import message_hub_to_plain

_names = itertools.count()
_KEYS = ('train/loss', 'train/lr', 'val/acc', 'time')
_numbers = st.one_of(st.integers(-10**6, 10**6),
                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
_info = st.one_of(_numbers, st.text(max_size=5), st.lists(st.integers(0, 9), max_size=3),
                  st.dictionaries(st.sampled_from('abc'), st.integers(0, 9), max_size=2))
_operations = st.lists(st.one_of(
    st.tuples(st.just('scalar'), st.sampled_from(_KEYS), _numbers, st.integers(1, 4)),
    st.tuples(st.just('info'), st.sampled_from(('epoch', 'iter', 'meta')), _info)),
    max_size=30)


@settings(deadline=None)
@given(operations=_operations, not_resumed=st.sets(st.sampled_from(_KEYS + ('meta',))))
def test_hub_round_trips_through_a_weights_only_checkpoint(operations, not_resumed):
    hub = MessageHub.get_instance(f'hub_roundtrip_{next(_names)}')
    for op in operations:
        resumed = op[1] not in not_resumed
        if op[0] == 'scalar':
            hub.update_scalar(op[1], op[2], op[3], resumed=resumed)
        else:
            hub.update_info(op[1], op[2], resumed=resumed)

    buffer = io.BytesIO()
    torch.save(message_hub_to_plain(hub.state_dict()), buffer)
    buffer.seek(0)
    restored = MessageHub.get_instance(f'hub_roundtrip_{next(_names)}')
    restored.load_state_dict(torch.load(buffer, weights_only=True))

    for key, history in hub.log_scalars.items():
        if key in not_resumed:
            assert key not in restored.log_scalars
            continue
        values, counts = history.data
        got_values, got_counts = restored.get_scalar(key).data
        assert got_values.tolist() == values.tolist() and got_counts.tolist() == counts.tolist()
        assert restored.get_scalar(key).current() == history.current()
    for key, value in hub.runtime_info.items():
        if key in not_resumed:
            assert key not in restored.runtime_info
        else:
            assert restored.get_info(key) == value
