"""intake_service."""
