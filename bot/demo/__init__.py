"""The console demo (`python -m bot demo`): the bot's dialog and Slack cards, drawn in a terminal."""
