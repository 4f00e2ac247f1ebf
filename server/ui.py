"""The query page at ``/query``: an editor, the competency questions as examples, results as a table.

Plain HTML, JavaScript and CSS from ``server/static``: the page works with no internet access.
The examples are read once, when the app starts; no folder, or a missing one, means no examples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template

from kg.formats import GRAPH_SYNTAXES, RESULTS_SYNTAXES
from kg.prefixes import PREFIX_IRIS

bp = Blueprint("ui", __name__)


@dataclass(frozen=True)
class Example:
    """A competency question and its query."""

    name: str
    question: str
    query: str


def load_examples(folder: Path | None) -> list[Example]:
    """Each ``*.rq`` file of ``folder`` in name order; its first line, ``# question``, is the question."""
    examples = []
    for path in sorted(folder.glob("*.rq")) if folder is not None and folder.is_dir() else ():
        query = path.read_text(encoding="utf-8")
        first = query.split("\n", 1)[0].strip()
        question = first.lstrip("#").strip() if first.startswith("#") else path.stem
        examples.append(Example(path.stem, question, query))
    return examples


def init_app(app: Flask, examples_dir: Path | None, *, remote: bool = False) -> None:
    """Serve the page; ``remote``: a backend answers the queries, so the page does not describe the build."""
    app.extensions["kg.examples"] = load_examples(examples_dir)
    app.extensions["kg.remote"] = remote
    app.register_blueprint(bp)


@bp.route("/query")
def index() -> str:
    # Lists, not dicts: Flask's JSON sorts keys, and the registry's order is the order of preference.
    formats = {
        "results": [[name, s.extension] for name, s in RESULTS_SYNTAXES.items()],
        "graph": [[name, s.extension] for name, s in GRAPH_SYNTAXES.items()],
    }
    return render_template(
        "query.html",
        examples=[asdict(e) for e in current_app.extensions["kg.examples"]],
        formats=formats,
        prefixes=PREFIX_IRIS,
        remote=current_app.extensions["kg.remote"],
    )
