"""Every SQL statement of the review service, one module per area."""
