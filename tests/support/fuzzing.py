"""Hypothesis' settings and strategies of the fuzz tests."""

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded and derandomized: the same examples every run in CI (FUZZ_RANDOM=1 explores).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Text that reaches the edges: NUL, control characters, non-ASCII, lone surrogates.
EDGY_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", "\x00", "\t", "é", "\u2028", "\ud800", "\\", '"']),
    max_size=12,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | EDGY_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["order", "event_id", "x"]) | EDGY_TEXT, children, max_size=4
        )
    ),
    max_leaves=20,
)
