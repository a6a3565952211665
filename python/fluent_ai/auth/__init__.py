"""Provider authentication written here: Google service-account OAuth2 (:mod:`.google`) and
AWS SigV4."""
