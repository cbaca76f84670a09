"""Search over a municipality's own content (terms, synonyms, typo tolerance, intent)."""
