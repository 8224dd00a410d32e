"""`make mutants` is only as good as its list: seven branches add to it, and a merge can leave
an anchor that no longer reads as the code does, or a test that was renamed. Checked here, in
`make test`, so a broken list is found without running the mutations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.mutants import MUTATIONS, ROOT, anchor_line


def test_every_mutation_has_one_anchor_line() -> None:
    missing = [
        f"{mutation.name}: {why}"
        for mutation in MUTATIONS
        if not mutation.todo
        for index, why in [anchor_line(mutation, ROOT)]
        if index < 0
    ]
    assert missing == []


def test_every_mutation_names_tests_that_exist_and_a_name_of_its_own() -> None:
    absent = []
    for mutation in MUTATIONS:
        assert mutation.tests, mutation.name
        for test in mutation.tests:
            path, _, name = test.partition("::")
            source = Path(ROOT, path)
            function = name.split("[")[0]  # none: the whole file
            found = source.is_file() and (
                not function or f"def {function}(" in source.read_text("utf-8")
            )
            if not found:
                absent.append(f"{mutation.name}: {test}")
    assert absent == []
    twice = [name for name, count in Counter(m.name for m in MUTATIONS).items() if count > 1]
    assert twice == []
