"""Real SPARQL stores started on 127.0.0.1 for a while: Oxigraph's server and Virtuoso.

The tests and the benchmarks (``bench/publish.py``) publish to them and query them; none of it is
part of the product, which only talks to such stores over HTTP (``kg publish``, ``kg serve --backend``).
"""
