"""eligibility_service."""
