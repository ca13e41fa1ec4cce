"""GraphQL plumbing shared by every app's schema: permissions, errors as data, the view."""
