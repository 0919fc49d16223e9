"""Reports of benchmark results: summaries, tables, figures, and the report as Markdown and as one self-contained
HTML page.

Importing this package is cheap: pandas, seaborn and matplotlib are imported only when a function runs.
"""

from mibench.report.figures import plot_estimate_vs_truth
from mibench.report.markdown import write_report
from mibench.report.tables import scores_markdown

__all__ = ["plot_estimate_vs_truth", "scores_markdown", "write_report"]
