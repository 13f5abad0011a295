"""CRM reads, one module per area. Visibility comes from the access policy, in SQL."""
