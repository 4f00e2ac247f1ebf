"""The grammar of the mapping files lives in one place (``kg/mapping/grammar.py``).

The build checks every file against the JSON Schema made from it; the schema files editors read
(``data/schema/``) and data/README.md's key reference are made from it too (``kg schema``), and
must be current; data/README.md's example is a mapping the schema accepts; every mapping names
its schema for editors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT
from rdflib import Graph
from test_corpus import corpus

from kg.errors import MappingError
from kg.mapping.grammar import ENTRIES, MAPPING
from kg.mapping.schema import check_structure, mapping_schema, registry_schema, written_files
from kg.vocabulary import Vocabulary
from kg.yamlfile import load_yaml

FIXTURE_MAPPING = FIXTURES / "project" / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(Graph().parse(ROOT / "ontology" / "newskg.ttl", format="turtle"))


def test_the_schema_files_and_the_readme_keys_are_made_from_the_grammar(vocabulary):
    for path, text in written_files(ROOT, vocabulary).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(ROOT)} is stale: run 'kg schema'"


def test_the_schema_names_the_ontologys_classes_and_properties_with_their_definitions(vocabulary):
    schema = mapping_schema(vocabulary)
    classes = {c["const"]: c["description"] for c in schema["definitions"]["class-name"]["anyOf"]}
    assert classes["Summit"] == "A meeting of heads of state or government."
    fact = schema["definitions"]["entry-fact"]["properties"]
    assert fact["hostedBy"]["description"] == "The agent hosts or chairs the event, and so takes part in it."
    assert set(ENTRIES["fact"].keys) <= set(fact)


def mappings() -> list[Path]:
    return [*sorted((ROOT / "data").glob("*/mapping.yaml")), FIXTURE_MAPPING]


@pytest.mark.parametrize("path", mappings(), ids=lambda p: p.parent.name)
def test_the_schema_accepts_every_mapping_and_each_names_it(vocabulary, path):
    check_structure(load_yaml(path, display=path.name), mapping_schema(vocabulary), path.name)
    assert "# yaml-language-server: $schema=../schema/mapping.schema.json\n" in path.read_text(encoding="utf-8")


def test_the_schema_accepts_the_registry_and_the_synthetic_corpus(vocabulary, tmp_path):
    registry = ROOT / "data" / "registry.yaml"
    check_structure(load_yaml(registry, display="registry"), registry_schema(vocabulary), "registry")
    assert "# yaml-language-server: $schema=schema/registry.schema.json\n" in registry.read_text(encoding="utf-8")
    for folder in corpus().write_corpus(tmp_path / "corpus", 3):
        path = tmp_path / "corpus" / "data" / folder / "mapping.yaml"
        check_structure(load_yaml(path, display=folder), mapping_schema(vocabulary), folder)


def test_the_readme_example_is_a_mapping_the_schema_accepts(vocabulary):
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if b.startswith("article:"))
    content = yaml.safe_load(example)
    assert set(content) == set(MAPPING)
    path = Path("README-example.yaml")
    check_structure(_located(example), mapping_schema(vocabulary), str(path))


def _located(text: str):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as file:
        file.write(text)
    return load_yaml(Path(file.name), display="example")


#: A structural mistake: (the fixture's words, their replacement, the line's end, the message).
BAD = {
    "an unknown key": ("    about: harbour-hall\n", "    about: harbour-hall\n    abut: x\n", "abut: x",
                       "fact about 'harbour-hall': unknown key or property 'abut'; did you mean 'about'?"),
    "an unknown class": ("    a: Newspaper", "    a: Newspapr", "a: Newspapr", "entity 'daily-beacon': unknown class 'Newspapr'"),
    "an id that is not a slug": ("  tomas-reed:\n", "  Tomas-Reed:\n", "Tomas-Reed:",
                                 "entity 'Tomas-Reed': id must be a lowercase slug (letters, digits, '-')"),
    "a fact without a quote": ("  - quote: Southmark demands a fishing quota for its fleet\n    about: southmark\n",
                               "  - about: southmark\n", "- about: southmark", "fact about 'southmark': missing 'quote'"),
    "an occurrence that is not a number": ("    status: claimedByOneSide\n", "    status: claimedByOneSide\n    occurrence: two\n",
                                           "occurrence: two", "claim 'reed-northland-agreed': 'occurrence' must be which"
                                           " occurrence of the words, counting from 1, not 'two'"),
    "a status that is not one": ("    status: claimedByOneSide\n", "    status: rumoured\n", "status: rumoured",
                                 "claim 'reed-northland-agreed': status must be one of authorsAssessment, claimedByOneSide,"
                                 " confirmed, officiallyStated, reportedByOutlets, unattributedOpinion, not 'rumoured'"),
    "a participation without a status": ("    hasParticipant: [ilse-varga, tomas-reed]\n",
                                         "    participation:\n      - {agent: ilse-varga}\n", "- {agent: ilse-varga}",
                                         "fact about 'treaty-signing' participation: missing 'status'"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=str)
def test_the_schema_rejects_each_bad_mapping_at_its_line(vocabulary, tmp_path, case):
    old, new, ending, message = BAD[case]
    text = FIXTURE_MAPPING.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = max(n for n, line in enumerate(path.read_text().splitlines(), start=1) if line.endswith(ending))
    with pytest.raises(MappingError) as raised:
        check_structure(load_yaml(path, display="m.yaml"), mapping_schema(vocabulary), "m.yaml")
    assert str(raised.value) == f"m.yaml:{line}: {message}"
