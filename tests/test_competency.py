"""The competency questions: each queries/NN-name.rq against its exact expected answer.

SELECT answers are SPARQL TSV (``.tsv``), ASK answers ``true``/``false`` (``.txt``). The same files
are the example queries of the README and of the query page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.query import run_query, serialize_result

QUESTIONS = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))


def expected_answer(question: Path) -> str:
    for suffix in (".tsv", ".txt"):
        if question.with_suffix(suffix).exists():
            return question.with_suffix(suffix).read_text(encoding="utf-8")
    raise AssertionError(f"no expected answer for {question.name}")


def test_there_are_fifty_four_questions():
    assert len(QUESTIONS) == 54


def test_every_question_states_its_question_in_plain_english():
    for question in QUESTIONS:
        first = question.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and "?" in first, question.name


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda p: p.stem)
def test_competency_question(store, question):
    manifest, oxigraph = store
    result = run_query(oxigraph, manifest, question.read_text(encoding="utf-8"))
    if question.with_suffix(".txt").exists():
        answer = "true\n" if bool(result) else "false\n"
    else:
        answer = serialize_result(result, "tsv").decode("utf-8")
    assert answer == expected_answer(question)
