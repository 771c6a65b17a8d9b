"""Scripted players of the role games (:mod:`redqueen.games.roles`)."""
