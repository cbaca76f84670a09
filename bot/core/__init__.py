"""The platform-neutral core: messages, router, dialog engine and flows, catalogue, text and context."""
