"""REST viewsets of payments and cash applications: parse, call the services, render."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Customer
from accounts.scoping import is_scoped, scope
from o2c_api import audit
from o2c_api.api.csvexport import CSVListMixin
from o2c_api.api.exceptions import django_validation_errors, error_response, flatten, status_for
from o2c_api.api.idempotency import idempotent
from o2c_api.api.permissions import RolePermission
from o2c_api.api.schema import (
    IDEMPOTENCY_PARAMETER,
    ErrorResponseSerializer,
)
from o2c_api.api.scoping import CustomerScopedMixin
from o2c_api.errors import Conflict
from receivables import cash_application, predicates, services
from receivables.api.payments import examples as ex
from receivables.api.payments.render import render_postings
from receivables.api.payments.serializers import (
    ApplySerializer,
    BulkPaymentRequestSerializer,
    BulkPaymentSerializer,
    BulkResponseSerializer,
    PaymentApplicationSerializer,
    PaymentCreateSerializer,
    PaymentPostingSerializer,
    PaymentSerializer,
    PaymentUpdateSerializer,
    UnapplySerializer,
)
from receivables.cash_application import post_payment
from receivables.errors import ErrorCode
from receivables.filtersets import PaymentApplicationFilterSet, PaymentFilterSet
from receivables.models import Payment, PaymentApplication


class PaymentPermission(RolePermission):
    """RolePermission, plus the application permissions for `apply` and `unapply`."""

    action_perms = {
        "apply": ["receivables.add_paymentapplication"],
        # Reversing an application changes it (nobody may delete money records).
        "unapply": ["receivables.change_paymentapplication"],
    }

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.user.has_perms(self.action_perms.get(getattr(view, "action", None), []))


def payment_queryset():
    """Payments with what PaymentSerializer reads: a fixed number of queries per page."""
    return Payment.objects.select_related("customer", "posted_by").prefetch_related(
        Prefetch(
            "applications",
            queryset=PaymentApplication.objects.select_related("invoice", "created_by").order_by(
                "applied_date", "id"
            ),
        )
    )


# A serializer builds its fields when first used (deep copies of the declared ones): about
# 0.5 ms of a single post, more than validating itself. Posting validates with a serializer
# built once per process: `run_validation` keeps no state of its own between calls, so one
# instance serves every request and thread.
PAYMENT_VALIDATOR = PaymentCreateSerializer()


@extend_schema_view(
    list=extend_schema(
        summary="List payments", responses={200: PaymentSerializer, **ex.ERRORS_AUTH}
    ),
    retrieve=extend_schema(
        summary="A payment with its applications",
        responses={200: PaymentSerializer, 404: ErrorResponseSerializer, **ex.ERRORS_AUTH},
    ),
)
class PaymentViewSet(
    CustomerScopedMixin,
    CSVListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Payments: post (with automatic cash application), read, edit, apply and unapply by hand."""

    queryset = payment_queryset()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    permission_classes = [PaymentPermission]
    search_fields = predicates.SEARCH_FIELDS["payment"]
    ordering_fields = [
        "received_date",
        "amount",
        "unapplied_amount",
        "created_at",
        "updated_at",
        "id",
    ]
    ordering = ["-received_date", "-id"]

    def get_serializer_class(self):
        return {
            "create": PaymentCreateSerializer,
            "partial_update": PaymentUpdateSerializer,
            "apply": ApplySerializer,
            "unapply": UnapplySerializer,
            "bulk": BulkPaymentSerializer,
        }.get(self.action, PaymentSerializer)

    def _render(self, payment_id: int, posting=None, status_code=status.HTTP_200_OK) -> Response:
        payment = payment_queryset().get(pk=payment_id)
        if posting is not None:
            payment.posting = posting
            return Response(PaymentPostingSerializer(payment).data, status=status_code)
        return Response(PaymentSerializer(payment).data, status=status_code)

    @extend_schema(
        summary="Post a payment (automatic cash application)",
        description="Stores the payment and applies it in one transaction: remittance lines as "
        "given; else invoice numbers of the customer found in `reference` (exact tokens, any "
        "case), oldest first; else the one open invoice whose open amount equals the amount; "
        "else nothing (on account). Lines that cannot be honoured are listed in `exceptions` "
        "and their amount stays unapplied; the cash is never refused for them. An invalid "
        "payment answers 400 and stores nothing.",
        request=PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: PaymentPostingSerializer,
            400: ex.ERRORS_400,
            409: ex.ERRORS_409,
            422: ex.ERRORS_422,
            **ex.ERRORS_AUTH,
        },
        examples=[
            ex.EXAMPLE_POST,
            ex.EXAMPLE_POST_REFERENCE,
            ex.EXAMPLE_POSTED,
            ex.EXAMPLE_400,
            ex.EXAMPLE_400_CUSTOMER,
            ex.EXAMPLE_409,
            ex.EXAMPLE_409_IN_PROGRESS,
            ex.EXAMPLE_422,
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        result = post_payment(**self._validated_payment(request), posted_by=request.user)
        return Response(render_postings([result])[0], status=status.HTTP_201_CREATED)

    def _validated_payment(self, request) -> dict:
        """The posted payment validated by `PAYMENT_VALIDATOR`; an invalid one is validated
        again by a serializer of the request, whose errors are the answer (as for any view)."""
        if not is_scoped(request.user):
            try:
                return PAYMENT_VALIDATOR.run_validation(request.data)
            except serializers.ValidationError:
                pass
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Edit a payment",
        description="Reference and method always; amount, currency and received date only while "
        "no cash is applied (400 `payment_has_applications`).",
        request=PaymentUpdateSerializer,
        responses={200: PaymentSerializer, 400: ex.ERRORS_400, **ex.ERRORS_AUTH},
    )
    def partial_update(self, request, *args, **kwargs):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_payment(payment, **serializer.validated_data)
        return self._render(payment.pk)

    @extend_schema(
        summary="Apply cash by hand",
        description="Records an application (`automatic: false`, `created_by` = you). Refuses "
        "more than the payment's unapplied or the invoice's open amount with 400, changing "
        "nothing.",
        request=ApplySerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: PaymentSerializer,
            400: ex.ERRORS_400,
            404: ErrorResponseSerializer,
            **ex.ERRORS_AUTH,
        },
        examples=[ex.EXAMPLE_APPLY_400],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request, pk=None):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.apply_payment(
            payment,
            data["invoice"],
            data["amount"],
            applied_date=data.get("applied_date"),
            automatic=False,
            user=request.user,
        )
        return self._render(payment.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse an application",
        request=UnapplySerializer,
        responses={
            200: PaymentSerializer,
            400: ex.ERRORS_400,
            404: ErrorResponseSerializer,
            **ex.ERRORS_AUTH,
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def unapply(self, request, pk=None):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = PaymentApplication.objects.filter(
            pk=serializer.validated_data["application"], payment=payment
        ).first()
        if application is None:
            raise serializers.ValidationError(
                {"application": ["No such application of this payment."]},
                code=ErrorCode.DOES_NOT_EXIST,
            )
        with audit.reason(serializer.validated_data.get("reason")):
            services.unapply(application)
        return self._render(payment.pk)

    @extend_schema(
        summary="Post up to O2C_BULK_MAX_ITEMS payments",
        description="Each item is validated and posted as by `POST /payments/`, on its own: an "
        "item that is refused (invalid, or its `external_id` already posted — also by an "
        "earlier item of the same request) stores nothing and does not stop the others. The "
        "response has one result per item, in order: `created` (with the posting), `duplicate` "
        "(external_id already posted; `errors[0].payment` names it) or `error` (codes as for a "
        "single post). Items are posted in order and each sees the items before it (cash "
        "applied by an earlier item is no longer open for a later one). More than "
        "O2C_BULK_MAX_ITEMS items: 400.\n\n"
        "Durability: the request's created items are committed together, in one database "
        "transaction, before the response is sent (one disk write per request instead of one "
        "per item). So a 200 means every `created` item is stored; a request that fails or dies "
        "before answering stores none of its items, and may simply be sent again (with the "
        "same `Idempotency-Key`, or relying on `external_id` duplicates).\n\n"
        "With `?atomic=true` it is all-or-nothing: any item not created rolls every item back "
        "and the answer has the same per-item results (`rolled_back` for the good ones), "
        "with the status a single post of the failed items would get: 400 when one breaks "
        "a rule of the schema, else 422 when the records refuse one (an unknown customer, "
        "more than the open amount), else 409 (a duplicate).",
        request=BulkPaymentRequestSerializer,
        parameters=[
            IDEMPOTENCY_PARAMETER,
            OpenApiParameter("atomic", OpenApiTypes.BOOL, description="All or nothing."),
        ],
        responses={
            200: BulkResponseSerializer,
            400: ex.ERRORS_400,
            409: ex.ERRORS_409,
            422: ex.ERRORS_422,
            **ex.ERRORS_AUTH,
        },
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = self._validate_items(serializer.validated_data["items"])
        atomic = request.query_params.get("atomic", "").lower() in ("1", "true", "yes")

        batch = cash_application.post_batch(
            [data if data is not None else errors for data, errors in items],
            posted_by=request.user,
            atomic=atomic,
        )
        results = [self._result(index, outcome) for index, outcome in enumerate(batch.outcomes)]
        if not batch.rolled_back:
            return self._bulk_response(results, status.HTTP_200_OK)
        for result in results:
            if result["status"] == "created":
                result.update(status="rolled_back", posting=None)
        errors = [
            {
                **error,
                "field": f"items[{result['index']}]"
                + (f".{error['field']}" if error["field"] else ""),
            }
            for result in results
            for error in result["errors"]
        ]
        body = self._bulk_body(results)
        # The status its errors call for, as a single posting's (400 for a broken schema
        # rule, 422 for one the records decide, 409 for a state).
        return error_response(errors, status_for(errors), **body)

    def get_serializer_context(self):
        # A user limited to their customers posts only for them (else does_not_exist).
        visible = scope(Customer.objects.all(), getattr(self.request, "user", None))
        return {**super().get_serializer_context(), "customer_queryset": visible}

    def _validate_items(self, items: list[dict]) -> list[tuple[dict | None, list[dict]]]:
        """Each item validated alone; one serializer for all (its fields are built once)."""
        visible = self.get_serializer_context()["customer_queryset"]
        customers = cash_application.CustomerIndex.load(
            (item.get("customer") for item in items),
            (item.get("customer_external_id") for item in items),
            customers=visible,
        )
        serializer = PaymentCreateSerializer(
            context={"customers": customers, "customer_queryset": visible}
        )
        validated = []
        for item in items:
            try:
                validated.append((serializer.run_validation(item), []))
            except serializers.ValidationError as exc:
                validated.append((None, flatten(exc.detail)))
        return validated

    @staticmethod
    def _result(index: int, outcome) -> dict:
        """`outcome`: a PostingResult, the error that refused the item, or its validation
        errors (a list, as `flatten` gives them)."""
        result = {"index": index, "status": "error", "posting": None, "errors": []}
        if isinstance(outcome, list):
            result["errors"] = outcome
        elif isinstance(outcome, Conflict):
            result["errors"] = [
                {**error, **outcome.details} for error in django_validation_errors(outcome)
            ]
            if outcome.code == ErrorCode.DUPLICATE_EXTERNAL_ID:
                result["status"] = "duplicate"
        elif isinstance(outcome, DjangoValidationError):
            result["errors"] = django_validation_errors(outcome)
        elif outcome is not None:
            result.update(status="created", posting=outcome)
        return result

    def _bulk_body(self, results: list[dict]) -> dict:
        postings = [result["posting"] for result in results if result["posting"]]
        rendered_postings = iter(render_postings(postings))
        rendered = [
            {
                "index": result["index"],
                "status": result["status"],
                "payment": next(rendered_postings) if result["posting"] else None,
                "errors": result["errors"],
            }
            for result in results
        ]
        statuses = [r["status"] for r in results]
        return {
            "created": statuses.count("created"),
            "duplicates": statuses.count("duplicate"),
            "failed": statuses.count("error"),
            "results": rendered,
        }

    def _bulk_response(self, results: list[dict], status_code: int) -> Response:
        return Response(self._bulk_body(results), status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="List cash applications",
        responses={200: PaymentApplicationSerializer, **ex.ERRORS_AUTH},
    ),
    retrieve=extend_schema(
        summary="A cash application",
        responses={
            200: PaymentApplicationSerializer,
            404: ErrorResponseSerializer,
            **ex.ERRORS_AUTH,
        },
    ),
)
class PaymentApplicationViewSet(CustomerScopedMixin, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Cash applications (read only: create with `payments/{id}/apply/`, reverse with `unapply`)."""

    queryset = PaymentApplication.objects.select_related("invoice", "created_by")
    serializer_class = PaymentApplicationSerializer
    filterset_class = PaymentApplicationFilterSet
    search_fields = predicates.SEARCH_FIELDS["paymentapplication"]
    ordering_fields = ["applied_date", "amount", "created_at", "id"]
    ordering = ["applied_date", "id"]
