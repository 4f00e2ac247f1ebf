"""HTTP layer only: parse the request, run the query through kg in a supervised worker, shape the response.

Never builds a graph. A worker answers from its own copy of the build, or forwards the query to a
remote SPARQL endpoint (``kg serve --backend``, ``server.remote``); the layer above is the same.
``server.app.create_app`` makes the Flask app, ``server.run.serve`` serves it.
"""
