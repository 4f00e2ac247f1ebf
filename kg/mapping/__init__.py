"""Turn one article folder (text + declarative mapping) into its asserted graph.

The mapping (``data/<slug>/mapping.yaml``, described in ``data/README.md``) names things, states
facts and reports claims, each with the words of the article that state it. The build checks every
name against the ontology and every quote against the text, and writes each asserted triple with an
``owl:Axiom`` that carries its evidence (a ``nkg:TextSegment`` located by Web Annotation selectors,
or, for background knowledge, a ``dcterms:source``) and its factuality. It refuses a mapping that
breaks the claim/fact boundary or merges the proposals of different proposers (``kg.mapping.rules``).

One module per section: ``entities``, ``facts``, ``claims``, ``corrections`` (and anomalies),
``mentions``; ``mapper`` reads the file and runs them in order.
"""

from kg.mapping.context import Article
from kg.mapping.mapper import map_article

__all__ = ["Article", "map_article"]
