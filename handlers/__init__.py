"""The product's features, platform-neutral: each handler takes an Inbound and a Context and returns Replies."""
