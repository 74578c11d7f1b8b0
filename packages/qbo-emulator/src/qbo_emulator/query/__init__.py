"""The QBO query endpoint's language: ``parser`` turns text into a ``Query``, ``engine`` runs it."""
