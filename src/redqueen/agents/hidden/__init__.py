"""Scripted players of the games of :mod:`redqueen.games.hidden`."""
