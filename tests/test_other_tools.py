"""The exports as other tools read them: HermiT (through owlready2), the OWL API, and rapper."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import reference_golden
from owlapi import check_profiles, missing_reason
from tools import require

from kg.export import export, export_protege
from kg.formats import RDF_SYNTAXES

pytestmark = pytest.mark.slow
ID = "https://w3id.org/newskg/id/"


@pytest.fixture(scope="module")
def protege_file(store, tmp_path_factory):
    manifest, oxigraph = store
    path = tmp_path_factory.mktemp("protege") / "newskg.owl"
    export_protege(oxigraph, manifest, path)
    return path


def test_the_owl_api_reads_the_protege_file_without_warnings_and_all_declared(protege_file):
    require(missing_reason())
    report = check_profiles(protege_file)
    assert report["warnings"] == []
    assert report["unparsed_triples"] == []
    assert report["undeclared"] == []
    assert (report["dl"], report["rl"]) == ([], [])
    golden = reference_golden()["owl api"]["protege export"]
    assert (report["classes"], report["individuals"]) == (golden["classes"], golden["individuals"])


@pytest.fixture(scope="module")
def hermit(protege_file):
    require(None if shutil.which("java") else "install Java (Debian package default-jdk-headless) for HermiT")
    owlready2 = pytest.importorskip("owlready2")
    world = owlready2.World()
    ontology = world.get_ontology(protege_file.as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)  # raises if inconsistent
    return world


def hermit_types(world, iri: str) -> set[str]:
    individual = world.search_one(iri=iri)
    return {c.iri for c in individual.INDIRECT_is_a if hasattr(c, "iri")} - {"http://www.w3.org/2002/07/owl#Thing"}


def owlrl_types(store, iri: str) -> set[str]:
    _, oxigraph = store
    rows = oxigraph.query(
        f"SELECT ?c WHERE {{ <{iri}> a ?c FILTER (?c != <http://www.w3.org/2002/07/owl#NamedIndividual>) }}",
        use_default_graph_as_union=True,
    )
    return {row["c"].value for row in rows}


#: individuals whose classes come from subclasses, domains and ranges, and both sides of a country
CHOSEN = {
    "ukraine": {"Country", "State", "Territory", "Place", "Organisation", "Agent"},
    "witkoff-cnn-interview": {"Interview", "CommunicationEvent", "Event"},
    "joint-base-elmendorf-richardson": {"MilitaryBase", "Facility", "Place"},
    "afp": {"NewsAgency", "MediaOutlet", "Organisation", "Agent"},
    "witkoff-putin-agreed-to-guarantees": {"Claim"},
    "steve-witkoff": {"Person", "Agent"},
}


@pytest.mark.parametrize("name", sorted(CHOSEN))
def test_hermit_infers_the_class_memberships_owlrl_inferred(store, hermit, name):
    ours = {c.removeprefix("https://w3id.org/newskg/ontology#") for c in owlrl_types(store, ID + name)}
    assert {c for c in ours if ":" not in c} == CHOSEN[name]
    assert owlrl_types(store, ID + name) <= hermit_types(hermit, ID + name)


def test_hermit_and_owlrl_agree_on_every_individual(store, hermit):
    _, oxigraph = store
    individuals = [
        row["x"].value
        for row in oxigraph.query(
            f'SELECT DISTINCT ?x WHERE {{ ?x a ?c FILTER (STRSTARTS(STR(?x), "{ID}")) }}',
            use_default_graph_as_union=True,
        )
    ]
    assert len(individuals) == reference_golden()["owl api"]["hermit individuals"]
    differing = [x for x in individuals if owlrl_types(store, x) != hermit_types(hermit, x)]
    assert differing == []


@pytest.mark.parametrize("syntax", ["turtle", "ntriples", "rdfxml", "nquads", "trig"])
def test_rapper_validates_the_export(store, tmp_path, syntax):
    require(None if shutil.which("rapper") else "install the Debian package raptor2-utils for rapper")
    manifest, oxigraph = store
    fmt = RDF_SYNTAXES[syntax]
    path = tmp_path / f"all.{fmt.extension}"
    written = export(oxigraph, manifest, "all", fmt, path)
    result = subprocess.run(
        ["rapper", "--input", syntax, "--count", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower() and "warning" not in result.stderr.lower(), result.stderr
    counted = int(re.search(r"returned (\d+) (?:triples|statements)", result.stderr)[1])
    assert counted == written
