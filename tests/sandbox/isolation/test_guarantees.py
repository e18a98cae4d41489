"""Each isolation mode states, for every promise, whether it keeps it and how; the security table
in docs/security.md is generated from those statements; a mode receives the limits it enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.sandbox.isolation import MODES, PROMISES, Guarantee, make_mode
from autograder.sandbox.isolation.bubblewrap import bubblewrap_command
from autograder.sandbox.limits import Limits
from scripts.make_docs import limits_table, security_table


@pytest.mark.parametrize("name", MODES)
def test_every_mode_states_every_promise_once_in_order(name):
    promises = [guarantee.promise for guarantee in make_mode(name).guarantees()]
    assert promises == list(PROMISES)


def test_a_guarantee_names_a_known_promise():
    with pytest.raises(ValueError, match="unknown promise"):
        Guarantee("read the future", True)


def test_the_safe_modes_keep_what_the_process_mode_cannot():
    kept = {name: {g.promise: g.holds for g in make_mode(name).guarantees()} for name in MODES}
    for promise in ("read", "write", "network", "processes", "namespaces"):
        assert kept["bubblewrap"][promise] is True and kept["landlock"][promise] is True, promise
        assert kept["process"][promise] is not True, promise


def test_the_table_has_a_row_per_promise_and_a_column_per_mode():
    table = security_table().splitlines()
    assert table[0] == "| what a submission cannot do | bubblewrap | landlock | process |"
    assert len(table) == 2 + len(PROMISES)
    assert all(row.count(" | ") == len(MODES) for row in table[2:])


def test_the_modes_size_what_they_promise_from_the_limits_they_receive():
    small = Limits(scratch_bytes=4 << 20, processes=7)
    command = bubblewrap_command(Path("/tmp/stage"), ["python"], (), small.scratch_bytes)
    assert command[command.index("--size") + 1] == str(4 << 20)
    guarantees = {g.promise: g.how for g in make_mode("bubblewrap", (), small).guarantees()}
    assert "4 MiB" in guarantees["write"] and "plus 7" in guarantees["threads"]
    assert make_mode("landlock", (), small).limits is small
    assert "16 MiB" in security_table(), "the docs show the default limits"


def test_the_limits_table_lists_every_limit_with_its_default():
    table = limits_table()
    for name, _, why in Limits.describe():
        assert f"`{name}`" in table and why in table
    assert "| `memory_bytes` | 1 GiB |" in table and "| `case_seconds` | 3 s |" in table
