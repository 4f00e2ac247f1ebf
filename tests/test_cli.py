"""The real ``kg`` command, run as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def kg(project, *args, input_text=None):
    return subprocess.run(
        [sys.executable, "-m", "kg", "--project", str(project.root), *args],
        capture_output=True,
        text=True,
        input=input_text,
        timeout=120,
    )


@pytest.fixture
def harbour(fixture_project):
    return fixture_project()


def test_build_prints_counts_and_timings_then_reuses_the_build(harbour):
    first = kg(harbour, "build")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "kg: built 1 article(s) into build"
    assert lines[1] == "  triples: 1248 asserted, 1519 ontology, 505 inferred, 14 filtered out"
    assert lines[-2] == (
        "  coverage: 2031-04-02-harbour-summit: 4 of 7 content sentences carry a statement (4 a fact, 0 a claim"
        " only); 23 mentions of 13 of 13 entities"
    )
    assert lines[-1].startswith("  time: map ")
    second = kg(harbour, "build")
    assert second.stdout.splitlines()[0] == "kg: build is up to date in build (inputs unchanged)"


def test_coverage_lists_the_content_sentences_no_statement_covers(harbour):
    result = kg(harbour, "coverage")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "kg: coverage of 2031-04-02-harbour-summit: 4 of 7 content sentences carry a statement (4 a fact, 0 a claim only); 23 mentions of 13 of 13 entities\n"
        "  bodyZone: 21 mentions, 26 facts, 1 claims\n"
        "  captionZone: 2 mentions, 0 facts, 0 claims\n"
        "  content sentences without a statement: 3\n"
        "    - A made-up story for the test suite: none of these people, places or events exist.\n"
        "    - Ms Varga has not confirmed this.\n"
        "    - The two leaders will meet again in Port Vell tomorrow to sign a fishing treaty.\n"
        "  capitalised words no mention covers: Beakon, Daily, President\n"
    )


def test_query_prints_a_table_by_default(harbour):
    result = kg(harbour, "query", "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "who       \n----------\nIlse Varga\n(1 row)\n"


def test_query_reads_a_file_and_writes_any_results_format(harbour, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("ASK { id:treaty-signing nkg:status nkg:planned }")
    result = kg(harbour, "query", "--format", "json", f"@{query}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"head":{},"boolean":true}'


def test_query_without_inferences_misses_what_only_reasoning_gives(harbour):
    query = "ASK { id:ilse-varga nkg:holdsOfficeIn id:northland }"
    assert kg(harbour, "query", query).stdout == "true\n"
    assert kg(harbour, "query", "--no-infer", query).stdout == "false\n"


def test_a_syntax_error_is_one_line_with_its_position_and_exit_code_2(harbour):
    result = kg(harbour, "query", "SELECT ?x WHERE { ?x ?y }")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("kg: error: SPARQL syntax error at 1:26: expected one of ")
    assert result.stderr.count("\n") == 1


def test_a_bad_mapping_is_one_line_naming_file_line_and_fact(harbour):
    mapping = harbour.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("    a: Newspaper", "    a: Newspapr"))
    result = kg(harbour, "validate")
    assert result.returncode == 2
    assert result.stderr == (
        "kg: error: data/2031-04-02-harbour-summit/mapping.yaml:49: entity 'daily-beacon': unknown class 'Newspapr'\n"
    )


def test_validate_writes_nothing(harbour):
    result = kg(harbour, "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "kg: valid: 1 article(s), 1248 asserted triples, 505 inferred; mapping, reasoning and SHACL checks passed\n"
    )
    assert not harbour.build_dir.exists()


def test_outside_a_project_the_error_says_what_to_do(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"kg: error: {tmp_path} is not a project folder (no ontology/newskg.ttl or data/):"
        " run kg from the repository's top folder or pass --project\n"
    )


def test_explain_prints_a_proof_and_json_on_request(harbour):
    result = kg(harbour, "explain", "id:ilse-varga", "nkg:holdsOfficeIn", "id:northland")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "id:ilse-varga nkg:holdsOfficeIn id:northland    [prp-spo2]"
    as_json = kg(harbour, "explain", "--format", "json", "id:tomas-reed", "a", "nkg:Agent")
    assert json.loads(as_json.stdout)["rule"] == "cax-sco"


def test_explain_says_not_entailed_with_exit_code_1(harbour):
    result = kg(harbour, "explain", "id:northland", "nkg:agreesTo", "id:western-banks-sharing")
    assert result.returncode == 1
    assert result.stdout == (
        "not entailed: id:northland nkg:agreesTo id:western-banks-sharing is neither asserted nor inferred\n"
    )


def test_export_guesses_the_format_from_the_extension(harbour, tmp_path):
    out = tmp_path / "inferred.nt"
    result = kg(harbour, "export", "--graph", "inferred", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"kg: wrote 505 triples (inferred, ntriples) to {out}\n"
    assert len(out.read_text().splitlines()) == 505


def test_export_refuses_an_unknown_extension_without_format(harbour, tmp_path):
    result = kg(harbour, "export", "-o", str(tmp_path / "graph.xyz"))
    assert result.returncode == 2
    assert result.stderr == "kg: error: cannot tell the format from 'graph.xyz': pass --format\n"


def test_a_query_with_its_own_from_queries_only_that_graph(harbour):
    count = "SELECT (COUNT(*) AS ?n) {0} WHERE {{ ?s ?p ?o }}"
    union = kg(harbour, "query", "--format", "csv", count.format(""))
    only_ontology = kg(
        harbour, "query", "--format", "csv", count.format("FROM <https://w3id.org/newskg/graph/ontology>")
    )
    assert union.stdout == "n\n3289\n"  # text mode reads CSV's CRLF as newlines
    assert only_ontology.stdout == "n\n1519\n"


def test_construct_prints_turtle_with_the_project_prefixes(harbour):
    result = kg(harbour, "query", "CONSTRUCT WHERE { id:harbour-summit nkg:hostedBy ?host }")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "id:harbour-summit nkg:hostedBy id:ilse-varga ."
    ntriples = kg(harbour, "query", "--format", "ntriples", "CONSTRUCT WHERE { id:harbour-summit nkg:hostedBy ?h }")
    assert ntriples.stdout == (
        "<https://w3id.org/newskg/id/harbour-summit> <https://w3id.org/newskg/ontology#hostedBy>"
        " <https://w3id.org/newskg/id/ilse-varga> .\n"
    )


# --- bad arguments, help, and no traceback ------------------------------------------------------

#: For every command, arguments it must refuse: exit code 2, one line on stderr naming the command,
#: no traceback, nothing written (not even a build: the project of these tests was never built).
BAD_ARGUMENTS = [
    [],
    ["--bogus"],
    ["bild"],
    ["build", "--forse"],
    ["build", "extra"],
    ["coverage", "--format", "yaml"],
    ["coverage", "extra"],
    ["validate", "--all"],
    ["validate", "extra"],
    ["query"],
    ["query", "--format", "yaml", "ASK {}"],
    ["query", "--formt", "csv", "ASK {}"],
    ["query", "@{tmp}/no-such-file.rq"],
    ["query", "SELECT * { SERVICE <{listener}> { ?s ?p ?o } }"],
    ["query", "PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }"],
    ["explain", "id:a"],
    ["explain", "--format", "yaml", "id:a", "a", "nkg:Agent"],
    ["explain", "<not an IRI", "a", "nkg:Agent"],
    ["export"],
    ["export", "-o", "/"],
    ["export", "-o", "{tmp}/a-file.txt/x.trig"],
    ["export", "-o", "{tmp}/graph.xyz"],
    ["export", "--graph", "some", "-o", "{tmp}/x.ttl"],
    ["export", "--format", "n3", "-o", "{tmp}/x.ttl"],
    ["export", "--outptu", "{tmp}/x.ttl"],
    ["publish"],
    ["publish", "--to", "ftp://example.org/store"],
    ["publish", "--to", "http://127.0.0.1:9/store", "--retries", "many"],
    ["serve", "--port", "99999"],
    ["serve", "--port", "-1"],
    ["serve", "--port", "http"],
    ["serve", "--graph", "no-equals-sign"],
    ["serve", "--host"],
    ["serve", "--backend", "file:///etc/passwd"],
    ["serve", "--bakend", "http://127.0.0.1:9/sparql"],
    ["schema", "extra"],
    ["new-article"],
    ["new-article", "2031-04-03-follow-up", "--date", "2031-04-03"],
    ["new-article", "2031-04-03-follow-up", "--txt", "{tmp}/a-file.txt", "--date", "2031-04-03"],
    ["new-article", "Follow Up", "--text", "{tmp}/a-file.txt", "--date", "2031-04-03"],
    ["new-article", "2031-04-03-follow-up", "--text", "{tmp}/a-file.txt", "--date", "3 April"],
    ["new-article", "2031-04-03-follow-up", "--text", "{tmp}/no-such-file.txt", "--date", "2031-04-03"],
    ["new-article", "2031-04-02-harbour-summit", "--text", "{tmp}/a-file.txt", "--date", "2031-04-02"],
]


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_every_command_refuses_bad_arguments_in_one_line_with_exit_code_2_and_writes_nothing(
    fixture_project, tmp_path, listener
):
    from concurrent.futures import ThreadPoolExecutor

    project = fixture_project()
    (tmp_path / "a-file.txt").write_text("a file, not a folder\n")
    url, received = listener
    before = files(tmp_path)

    def run(arguments):
        filled = [a.replace("{tmp}", str(tmp_path)).replace("{listener}", url) for a in arguments]
        command = [sys.executable, "-m", "kg", "--project", str(project.root), *filled]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, BAD_ARGUMENTS))
    for arguments, result in zip(BAD_ARGUMENTS, results, strict=True):
        assert result.returncode == 2, (arguments, result.stderr)
        assert result.stdout == "", arguments
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("kg"), (arguments, result.stderr)
        assert "error:" in result.stderr and "Traceback" not in result.stderr, (arguments, result.stderr)
    assert files(tmp_path) == before
    assert not project.build_dir.exists()
    assert received == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["query", "--formt", "csv", "ASK {}"], "did you mean '--format'? (see kg query --help)"),
        (["bild"], "did you mean 'build'?"),
        (
            ["export", "--grph", "all", "-o", "x.nt"],
            "kg export: error: unrecognized arguments: --grph all; did you mean '--graph'?",
        ),
        (["serve", "--prot", "8080"], "did you mean '--port'?"),
        (["new-artcle"], "did you mean 'new-article'?"),
    ],
)
def test_a_misspelled_command_or_option_gets_a_suggestion(tmp_path, arguments, message):
    result = subprocess.run(
        [sys.executable, "-m", "kg", *arguments], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "command",
    ["build", "coverage", "schema", "new-article", "validate", "query", "explain", "export", "publish", "serve"],
)
def test_each_commands_help_has_a_description_its_defaults_and_an_example(tmp_path, command):
    result = subprocess.run(
        [sys.executable, "-m", "kg", command, "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0
    usage, description = result.stdout.split("\n\n")[:2]
    assert usage.startswith(f"usage: kg {command}") and len(description.split()) > 10
    assert f"examples:\n  kg {command}" in result.stdout
    defaults = {
        "coverage": "(default: text)",
        "query": "(default: table)",
        "explain": "(default: text)",
        "export": "(default: all)",
        "publish": "(default: 3)",
        "serve": "(default: 8000)",
    }
    assert defaults.get(command, "") in result.stdout


def test_an_unknown_prefix_is_named(harbour):
    result = kg(harbour, "query", "SELECT * { ?s a foo:Bar }")
    assert (result.returncode, result.stderr) == (
        2,
        "kg: error: SPARQL syntax error at 1:24: unknown prefix foo: (declare it with PREFIX foo: <...>)\n",
    )


def test_export_to_a_place_that_cannot_be_written_is_one_line(harbour, tmp_path):
    assert kg(harbour, "build").returncode == 0
    result = kg(harbour, "export", "-o", "/proc/newskg.trig")
    assert result.returncode == 2
    assert result.stderr.startswith("kg: error: cannot write /proc/newskg.trig: ") and "None" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_schema_into_a_place_that_cannot_be_written_is_one_line(harbour):
    (harbour.root / "data" / "schema").write_text("a file where the schemas' folder goes\n")
    result = kg(harbour, "schema")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "kg: error: cannot write data/schema/mapping.schema.json: File exists\n"
