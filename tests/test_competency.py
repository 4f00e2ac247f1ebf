"""The competency questions (``queries/NN-name.rq``) and each article's golden answers to them.

An article's answers (``tests/articles/<article>/answers/NN-name.tsv``, SPARQL TSV, or ``.txt``,
``true``/``false`` for ASK) are read on the article's own build, so that they hold whatever other
articles the story has. The questions are also the examples of the README and of the query page.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, golden_articles

from kg.query import run_query, serialize_result

QUESTIONS = sorted((ROOT / "queries").glob("*.rq"))
ANSWERS = sorted(a for folder in golden_articles("answers") for a in folder.glob("*.t[sx][vt]"))


def test_there_are_fifty_five_questions():
    assert len(QUESTIONS) == 55


def test_every_question_states_its_question_in_plain_english():
    for question in QUESTIONS:
        first = question.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and "?" in first, question.name


def test_every_answer_answers_a_question():
    assert {a.stem for a in ANSWERS} <= {q.stem for q in QUESTIONS}


@pytest.mark.general
@pytest.mark.parametrize("golden", ANSWERS, ids=lambda p: f"{p.parent.parent.name[:10]}-{p.stem}")
def test_the_article_answers_the_question_as_golden(article_build, golden):
    _, _, oxigraph = article_build(golden.parent.parent.name)
    result = run_query(oxigraph, (ROOT / "queries" / f"{golden.stem}.rq").read_text(encoding="utf-8"))
    if golden.suffix == ".txt":
        assert ("true\n" if bool(result) else "false\n") == golden.read_text(encoding="utf-8")
    else:
        assert serialize_result(result, "tsv").decode("utf-8") == golden.read_text(encoding="utf-8")
