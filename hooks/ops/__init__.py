"""Operations: readiness, Prometheus metrics and structured logs (no clinical content)."""
