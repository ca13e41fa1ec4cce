"""REST side of object-level scoping (accounts.scoping)."""

from accounts.scoping import is_scoped, scope


class CustomerScopedMixin:
    """A scoped user's lists, details, CSV exports and actions reach only their customers'
    rows (another's is a 404), and their writes may name only those (else 400
    `does_not_exist`). Unscoped users are not affected (no extra query)."""

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user)

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if is_scoped(self.request.user):
            for field in getattr(serializer, "fields", {}).values():
                queryset = getattr(field, "queryset", None)
                if queryset is not None:
                    field.queryset = scope(queryset, self.request.user)
        return serializer
