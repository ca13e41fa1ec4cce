"""Serializers of the playbook and credit holds: shapes only, the rules are in the services."""

from rest_framework import serializers

from accounts.models import Customer
from dunning import templates
from dunning.models import (
    ChannelRule,
    CreditHold,
    CreditHoldOverride,
    CreditHoldReason,
    CreditHoldRule,
    MessageTemplate,
    PlaybookAction,
    PlaybookStep,
)
from o2c_api.api.fields import StrictCharField, StrictPrimaryKeyRelatedField
from o2c_api.api.serializers import StrictModelSerializer, StrictSerializer

TIMESTAMPS = ["created_at", "updated_at"]


class MessageTemplateSerializer(StrictModelSerializer):
    """A message template; `merge_fields` lists those its subject and body use.

    Writes refuse an unknown merge field (400 `unknown_merge_field` on `subject` or `body`).
    """

    merge_fields = serializers.SerializerMethodField()

    class Meta:
        model = MessageTemplate
        fields = ["id", "code", "name", "subject", "body", "merge_fields", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS

    def get_merge_fields(self, template) -> list[str]:
        return templates.merge_fields_in(f"{template.subject}\n{template.body}")


class ChannelRuleSerializer(StrictModelSerializer):
    class Meta:
        model = ChannelRule
        fields = [
            "id",
            "position",
            "segment",
            "currency",
            "min_open_amount",
            "max_open_amount",
            "channel",
        ]
        # Explicit bounds (the small integer columns'): the model's come from the database
        # backend, and the exported schema must not depend on which database generated it.
        extra_kwargs = {"position": {"min_value": 0, "max_value": 32767}}


class PlaybookStepSerializer(StrictModelSerializer):
    """A playbook step with its templates (by code) and channel rules, first match first."""

    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    challenger_template = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    channel_rules = ChannelRuleSerializer(many=True, read_only=True)

    class Meta:
        model = PlaybookStep
        fields = [
            "id",
            "code",
            "name",
            "offset_days",
            "channel",
            "template",
            "challenger_template",
            "active",
            "channel_rules",
        ]
        # Explicit bounds (the small integer columns'): the model's come from the database
        # backend, and the exported schema must not depend on which database generated it.
        extra_kwargs = {"offset_days": {"min_value": -32768, "max_value": 32767}}


class PlaybookActionSerializer(serializers.ModelSerializer):
    """What the playbook did for an invoice at a step: the activity it created."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    step = serializers.SlugRelatedField(slug_field="code", read_only=True)
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PlaybookAction
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "step",
            "template",
            "variant",
            "channel",
            "activity",
            "as_of",
            "created_at",
        ]


class CreditHoldReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditHoldReason
        fields = ["code", "detail", "added_at", "cleared_at"]


class CreditHoldOverrideSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = CreditHoldOverride
        fields = ["order", "user", "reason", "created_at"]


class CreditHoldSerializer(serializers.ModelSerializer):
    """A credit hold, current or past, with every reason it had and the orders it let pass.

    `current` holds block orders; `reasons` with `cleared_at` null are the reasons now.
    """

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    current = serializers.BooleanField(read_only=True)
    placed_by = serializers.CharField(
        source="placed_by.username", read_only=True, allow_null=True, default=None
    )
    lifted_by = serializers.CharField(
        source="lifted_by.username", read_only=True, allow_null=True, default=None
    )
    reasons = CreditHoldReasonSerializer(many=True, read_only=True)
    overrides = CreditHoldOverrideSerializer(many=True, read_only=True)

    class Meta:
        model = CreditHold
        fields = [
            "id",
            "customer",
            "customer_name",
            "current",
            "automatic",
            "placed_at",
            "placed_by",
            "note",
            "lifted_at",
            "lifted_by",
            "lift_note",
            "reasons",
            "overrides",
        ]
        read_only_fields = fields


class PlaceHoldSerializer(StrictSerializer):
    customer = StrictPrimaryKeyRelatedField(queryset=Customer.objects.all())
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class LiftHoldSerializer(StrictSerializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class HoldChangesSerializer(serializers.Serializer):
    """Customers placed on hold and released by an evaluation, and reasons added/cleared."""

    placed = serializers.ListField(child=serializers.IntegerField())
    lifted = serializers.ListField(child=serializers.IntegerField())
    reasons_added = serializers.IntegerField()
    reasons_cleared = serializers.IntegerField()


class CreditHoldRuleSerializer(StrictModelSerializer):
    class Meta:
        model = CreditHoldRule
        fields = ["id", "code", "days_past_due", "broken_promises", "window_days", "active"]
        # Explicit bounds (the small integer columns'): the model's come from the database
        # backend, and the exported schema must not depend on which database generated it.
        extra_kwargs = {
            name: {"min_value": 0, "max_value": 32767}
            for name in ("days_past_due", "broken_promises", "window_days")
        }


class TemplateFunnelSerializer(serializers.Serializer):
    step = serializers.CharField()
    step_name = serializers.CharField()
    template = serializers.CharField()
    template_name = serializers.CharField()
    variant = serializers.CharField()
    sent = serializers.IntegerField()
    clicked = serializers.IntegerField()
    paid = serializers.IntegerField()
    conversion_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text="paid ÷ sent × 100."
    )


class PromiseReliabilitySerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField()
    promises = serializers.IntegerField()
    kept = serializers.IntegerField()
    broken = serializers.IntegerField()
    open = serializers.IntegerField()
    kept_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    paid = serializers.IntegerField()
    average_days_late = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
