"""The Teams channel: Bot Framework activities in, replies and proactive posts out; translates, never decides."""
