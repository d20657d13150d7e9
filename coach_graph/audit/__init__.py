"""The audit trail: who read a client's private data, and consent changes (SPEC "Integrations")."""
