"""The app's monthly budget of billable QuickBooks reads: counted per organization, shared."""
