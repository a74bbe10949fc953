"""Property test: pretty_text always reloads to the same config (CFG-20 invariant)."""

import keyword

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import Config

# '{{...}}' in strings and '_delete_' keys have meaning in config files:
# they are left out, everything else must survive the round trip.
text = st.text(max_size=30).filter(lambda s: '{{' not in s)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
keys = st.one_of(
    st.from_regex(r'[a-z_][a-z0-9_]{0,12}', fullmatch=True),
    st.text(min_size=1, max_size=8), st.integers(-5, 5)).filter(lambda k: k != '_delete_')
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=6)),
    max_leaves=40)
top_keys = st.from_regex(r'[a-z][a-z0-9_]{0,15}', fullmatch=True).filter(
    lambda k: not keyword.iskeyword(k) and k not in ('filename', 'text', 'pretty_text'))


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(top_keys, values, max_size=6))
def test_pretty_text_reloads_to_an_equal_config(data):
    cfg = Config(data)
    text = cfg.pretty_text
    assert text == Config(data).pretty_text  # deterministic
    assert Config.fromstring(text, '.py').to_dict() == cfg.to_dict()
