"""The console channel: the bot in a terminal or a pipe (`slt-bot chat`)."""
