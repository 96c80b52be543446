"""The Slack surface: Bolt app, Block Kit rendering and the HTTP / Socket Mode server."""
