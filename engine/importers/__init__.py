"""Importers: map other systems' file formats onto learnmap's canonical tables."""
