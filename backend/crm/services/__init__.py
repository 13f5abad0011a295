"""CRM writes, one module per area: customers, opportunities, quotes, orders, service, knowledge,
activities, links. Every function is keyword-only, checks access with the policy, writes rows and
the audit event in one transaction."""
