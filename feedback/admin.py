"""No admin registrations: every feedback change goes through feedback/services (audited)."""
