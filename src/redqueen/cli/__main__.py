"""``python -m redqueen.cli``: the ``redqueen`` command."""

from redqueen.cli import main

main()
