"""The planted answers of the comparison fixtures (``compare/``), shared by their scripts.

Both harnesses answer the same 100 questions, ``What is A + B?``, with a scripted model in
one of four *variants*; a variant is right on every question except the ones it is planned
to get wrong (it then answers ``A + B + 1`` or picks the wrong choice ``A + B + 2``):

=========== ============= ======= ====================================================
variant     wrong on      right   against ``base``
=========== ============= ======= ====================================================
base        q001-q010     90
base_again  q001-q010     90      identical answers: no difference at all
equal       q006-q015     90      same accuracy, other samples: 5 better, 5 worse
worse       q006-q035     70      5 better, 25 worse: a significant regression
=========== ============= ======= ====================================================

tests/integration/test_runs_compare_harness.py states the same plan and derives the counts
it expects from it. Only the standard library here: both harness venvs import this file.
"""

from __future__ import annotations

N = 100

#: variant -> the 0-based indices of the questions it answers wrong
WRONG: dict[str, range] = {
    "base": range(0, 10),
    "base_again": range(0, 10),
    "equal": range(5, 15),
    "worse": range(5, 35),
}


def sample_id(index: int) -> str:
    return f"q{index + 1:03d}"


def question(index: int) -> tuple[int, int]:
    """The two numbers of question ``index``: A is unique, so it names the question."""
    return 3 + index, (index * 37) % 101 + 1


def index_of(a: int) -> int:
    return a - 3


def is_wrong(variant: str, a: int) -> bool:
    return index_of(a) in WRONG[variant]
