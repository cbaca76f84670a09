"""SLT-assistenten: the bot's core (messages, router, dialogs, config), its channels and its command line."""
