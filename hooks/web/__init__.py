"""The web layer: app factory, middleware and limits, errors, settings, wire models."""
