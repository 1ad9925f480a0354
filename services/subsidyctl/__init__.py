"""subsidyctl."""
