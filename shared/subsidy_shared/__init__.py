"""subsidy_shared."""
