"""MkDocs hook: text in a docstring that Markdown reads as a reference link does not fail
the strict build.

Docstrings are written in reST (``A[row][column]``, ``[(x, y), ...]``); rendered as
Markdown, ``[a][b]`` is a reference link, and mkdocs-autorefs warns that ``b`` is not a
known object. Those warnings (the ones whose origin is a ``.py`` file) are logged at INFO
instead. A broken cross-reference written in a page of ``docs/`` still fails the build,
as do broken links and API objects that cannot be found.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_FROM_DOCSTRING = re.compile(r": from \S+\.py:\d+: .*Could not find cross-reference target")


class _DocstringRefsToInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and _FROM_DOCSTRING.search(record.getMessage()):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def on_config(config: Any) -> Any:
    names = [
        n for n in logging.root.manager.loggerDict if n.startswith("mkdocs.plugins.mkdocs_autorefs")
    ]
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DocstringRefsToInfo) for f in logger.filters):
            logger.addFilter(_DocstringRefsToInfo())
    return config
