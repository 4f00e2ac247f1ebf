"""Check RDF files against the OWL 2 DL and OWL 2 RL profiles with the OWL API.

Runs ``tests/owlapi/ProfileCheck.java`` with Java's single-file source launcher on
the OWL API that Debian ships (package ``libowlapi-java``, jars in /usr/share/java).
One call costs about 0.7 s (JVM start plus compiling the source) for a small file,
and 4-5 s for some 120,000 triples.

    from owlapi import check_profiles, missing_reason   # or tests.owlapi

    pytestmark = pytest.mark.skipif(missing_reason() is not None,
                                    reason=missing_reason() or "")

    report = check_profiles(Path("build/ontology.ttl"), Path("build/data.ttl"))
    assert report["dl"] == []

The files are parsed into ONE RDF graph before the OWL API reads it, so a data file
may use the properties that another file declares. The report is a dict:

``dl``, ``rl``
    Profile violations, one string each (the OWL API's ``toString``).
``dl_kinds``, ``rl_kinds``
    Violation class name -> count, e.g. ``{"UseOfUndeclaredClass": 2}``; some
    ``toString`` texts are misleading (``UseOfDefinedDatatypeInLiteral`` says
    "Use of defined datatype in datatype restriction").
``unparsed_triples``
    Triples the OWL API could not turn into axioms (``"<s> <p> <o>."``).
``undeclared``
    Entities used without a declaration, e.g. ``"Class(<http://...>)"``.
``warnings``
    Warnings and errors logged while parsing.
``missing_imports``
    ``owl:imports`` targets that are not among the given files (never fetched).
``axioms``, ``logical_axioms``, ``annotated_axioms``, ``classes``,
``object_properties``, ``data_properties``, ``annotation_properties``, ``individuals``
    Counts.
``axiom_list``
    Only with ``axioms=True``: every axiom in OWL functional-style syntax.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
SOURCE = Path(__file__).with_name("owlapi") / "ProfileCheck.java"
INSTALL_HINT = "install the Debian packages default-jdk-headless and libowlapi-java"

# The jars ProfileCheck needs: owlapi-distribution bundles every OWL API module; the
# rest are its runtime dependencies (all pulled in by libowlapi-java) plus the Rio
# parsers for Turtle, N-Triples and RDF/XML and slf4j's java.util.logging binding.
JARS = (
    "owlapi-distribution",
    "guava",
    "caffeine",
    "commons-io",
    "commons-rdf-api",
    "hppcrt",
    "atinject-jsr330-api",
    "xz",
    "slf4j-api",
    "slf4j-jdk14",
    "rdf4j-model-api",
    "rdf4j-model",
    "rdf4j-model-vocabulary",
    "rdf4j-util",
    "rdf4j-rio-api",
    "rdf4j-rio-datatypes",
    "rdf4j-rio-languages",
    "rdf4j-rio-ntriples",
    "rdf4j-rio-turtle",
    "rdf4j-rio-rdfxml",
)

# Fewer JIT tiers and a simple collector: the JVM lives for a second or a few.
JVM_OPTIONS = ("-XX:+UseSerialGC", "-Xshare:auto", "-XX:TieredStopAtLevel=1")
DEFAULT_TIMEOUT = 300.0


class OwlApiUnavailable(RuntimeError):
    """Java (with its compiler) or the OWL API jars are not installed."""


class OwlApiError(RuntimeError):
    """ProfileCheck could not load the files, failed or timed out."""


def _find_jar(name: str) -> Path | None:
    """``name.jar`` (Debian's unversioned link), else the newest ``name-<version>.jar``."""
    plain = JAVA_DIR / f"{name}.jar"
    if plain.is_file():
        return plain
    pattern = re.compile(rf"{re.escape(name)}-(\d[\w.+~-]*)\.jar")
    versions = {}
    for jar in JAVA_DIR.glob(f"{name}-*.jar"):
        match = pattern.fullmatch(jar.name)
        if match:
            versions[jar] = [int(n) for n in re.findall(r"\d+", match.group(1))]
    return max(versions, key=versions.__getitem__, default=None)


def classpath() -> list[Path]:
    """The jars to put on the classpath; raises OwlApiUnavailable when one is missing."""
    jars = {name: _find_jar(name) for name in JARS}
    missing = [name for name, jar in jars.items() if jar is None]
    if missing:
        raise OwlApiUnavailable(f"no {', '.join(missing)} jar in {JAVA_DIR}: {INSTALL_HINT}")
    return [jar for jar in jars.values() if jar is not None]


def missing_reason() -> str | None:
    """None when ProfileCheck can run, else why not (for ``pytest.skip``)."""
    # The source launcher compiles the file: a JRE without javac is not enough.
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"no {tool} on PATH: {INSTALL_HINT}"
    try:
        classpath()
    except OwlApiUnavailable as e:
        return str(e)
    return None


def owlapi_available() -> bool:
    """True when check_profiles can run; ``missing_reason()`` says why not."""
    return missing_reason() is None


def check_profiles(*paths: Path, axioms: bool = False, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Check the RDF files (.ttl, .nt, .rdf/.owl/.xml), merged into one ontology.

    Raises OwlApiUnavailable when Java or the jars are missing, and OwlApiError when a
    file cannot be parsed or the checker fails or runs longer than ``timeout`` seconds.
    """
    if not paths:
        raise ValueError("check_profiles needs at least one file")
    reason = missing_reason()
    if reason is not None:
        raise OwlApiUnavailable(reason)
    command = [
        "java",
        *JVM_OPTIONS,
        "-cp",
        ":".join(str(jar) for jar in classpath()),
        str(SOURCE),
        *(["--axioms"] if axioms else []),
        *(str(Path(p)) for p in paths),
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise OwlApiError(f"ProfileCheck took longer than {timeout:g} s on {', '.join(map(str, paths))}") from None
    if run.returncode != 0:
        message = run.stderr.strip() or run.stdout.strip() or "no output"
        raise OwlApiError(f"ProfileCheck exited with status {run.returncode}: {message}")
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as e:
        raise OwlApiError(f"ProfileCheck printed no JSON ({e}): {run.stdout[:500]!r}") from None
