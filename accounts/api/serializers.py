"""Serializers of segments, reps, customers and opportunities.

Foreign keys are written by id; reads add the names a dashboard shows beside them.
"""

from rest_framework import serializers

from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.api.serializers import CleanModelSerializer, StrictModelSerializer


class SegmentSerializer(CleanModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "code", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class SalesRepSerializer(CleanModelSerializer):
    class Meta:
        model = SalesRep
        fields = ["id", "name", "email", "active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class CustomerSerializer(StrictModelSerializer):
    """A customer. `on_credit_hold` changes through the credit-hold actions only."""

    segment_name = serializers.CharField(source="segment.name", read_only=True, allow_null=True)
    rep_name = serializers.CharField(source="rep.name", read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "external_id",
            "segment",
            "segment_name",
            "rep",
            "rep_name",
            "currency",
            "payment_terms_days",
            "credit_limit",
            "on_credit_hold",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["on_credit_hold", "created_at", "updated_at"]
        # Explicit bounds: the model's come from the database backend, and the exported
        # schema must not depend on which database generated it.
        # The credit limit is zero or more (`negative_credit_limit`): its pattern has no minus.
        extra_kwargs = {
            "payment_terms_days": {"min_value": 0, "max_value": 32767},
            "credit_limit": {"signed": False},
        }


class OpportunitySerializer(StrictModelSerializer):
    """A deal. Without a rep it takes the customer's rep when saved, and keeps it.

    Writes go through `accounts.services` (create_opportunity, update_opportunity).
    """

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep_name = serializers.CharField(source="rep.name", read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "customer_name",
            "rep",
            "rep_name",
            "name",
            "amount",
            "currency",
            "stage",
            "created_date",
            "closed_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
