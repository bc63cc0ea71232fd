"""The study's analysis report as HTML, with SVG charts. Pure: no Django.

* ``render_report(result, study=..., flow_svg=..., flow_table=...)``: a standalone, printable HTML document
  (``document.py``).
* ``render_report_body(...)``: its content for a page of the service; ``render_both`` gives both at once.
* ``charts``: the SVG charts (matplotlib, Agg); ``format``: how numbers are written.

The numbers come from ``connecting_people.study.analysis.analyse`` and are shown as it gives them.
"""

from .document import render_both, render_report, render_report_body

__all__ = ["render_both", "render_report", "render_report_body"]
