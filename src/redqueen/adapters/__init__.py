"""Adapters between redqueen and the standard interfaces of the field.

Each adapter imports its third-party package only when it is used:
``redqueen.adapters.pettingzoo``, ``redqueen.adapters.gymnasium``,
``redqueen.adapters.openspiel`` (``make("openspiel:NAME")``) and
``redqueen.adapters.textarena`` (``make("textarena:ID")``).
"""
