"""routing_service."""
