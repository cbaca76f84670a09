"""Channels translate between a platform and the neutral Inbound/Reply types; no business rule lives here."""
