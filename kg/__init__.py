"""Build, check, query, export and publish the news story knowledge graph. No HTTP server here: that is ``server``.

The data flows one way: article + mapping -> asserted graphs (``mapping``) -> OWL-RL closure
(``reasoning``) -> checks (``validation``) -> build folder (``build``) -> queries and exports.
"""

__version__ = "1.0.0"

__all__ = ["__version__"]
