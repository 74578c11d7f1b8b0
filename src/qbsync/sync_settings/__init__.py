"""Account and item mapping per organization: read, validated against the company, changed, logged."""
