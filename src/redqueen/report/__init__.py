"""Reports: the self-contained HTML report of a run."""

from redqueen.report.html import write_report

__all__ = ["write_report"]
