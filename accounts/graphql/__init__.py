"""GraphQL types, filters, orderings, inputs and mutations of the accounts app."""
