"""The CDS services: registry, prefetch, staging pipeline, remembered responses."""
