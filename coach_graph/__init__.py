"""coach_graph: the GraphQL backend of a coaching practice."""
