"""The Slack channel: slack-bolt over HTTP or Socket Mode; translates, never decides."""
