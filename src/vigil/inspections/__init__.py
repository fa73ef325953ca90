"""Labour inspection (issue 11), the pure core: a risk-ranked inspection plan
(``planning``) and the classification of a visit's findings that keeps labour-law violations
apart from forced-labour indicators (``findings``). No Django here; the server app
``vigil.server.inspections`` stores, authorises and presents."""
