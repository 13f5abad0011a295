"""The demo's CRM: the plan (plan.py) and the pass that writes it through the CRM services (seed.py)."""
