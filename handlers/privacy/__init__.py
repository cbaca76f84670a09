"""The personal-data screen, keyed pseudonyms and the access log: what keeps anonymous features anonymous."""
