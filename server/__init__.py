"""HTTP layer only: parse the request, run the query through kg in a supervised worker, shape the response.

Never builds a graph. ``server.app.create_app`` makes the Flask app, ``server.run.serve`` serves it.
"""
