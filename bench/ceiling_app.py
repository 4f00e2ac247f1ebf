"""The least a Flask SPARQL endpoint can do, for ``bench/flask_ceiling.py``: no protocol, no limits, no workers.

``/hello`` answers a constant; ``/sparql`` runs ``query=`` on pyoxigraph inside the HTTP process
and writes JSON. Neither is safe to expose (a runaway query cannot be stopped): they measure how
fast Flask itself can go on this machine, not a design.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
from flask import Flask, Response, request

JSON = "application/sparql-results+json"

app = Flask(__name__)
store = ox.Store()
store.bulk_load(path=str(Path(os.environ["BUILD_DIR"]) / "dataset.nq"), format=ox.RdfFormat.N_QUADS)


@app.get("/hello")
def hello() -> Response:
    return Response('{"head":{},"boolean":true}', content_type=JSON)


@app.get("/sparql")
def sparql() -> Response:
    results = store.query(request.args["query"], use_default_graph_as_union=True)
    return Response(results.serialize(format=ox.QueryResultsFormat.JSON), content_type=JSON)
