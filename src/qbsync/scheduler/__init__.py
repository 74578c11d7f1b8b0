"""The scheduler of QuickBooks work: durable pending work per (organization, kind, Aforo id),
run per realm under a lease, fairly across realms and within each realm's limits."""
