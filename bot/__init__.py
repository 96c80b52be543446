"""A Slack bot for dispatchers, technicians and managers of field-service companies on ServiceTitan."""
