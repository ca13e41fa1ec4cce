"""The generic pieces: IdempotentCreateMixin on any create endpoint, and retry_on_deadlock."""

import pytest
from django.db import OperationalError
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import Segment
from o2c_api.api.idempotency import IdempotentCreateMixin
from o2c_api.db import retry_on_deadlock
from o2c_api.errors import Conflict
from tests.factories import UserFactory


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "code"]


class SegmentViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Segment.objects.all()
    serializer_class = SegmentSerializer
    permission_classes = [IsAuthenticated]


@pytest.mark.django_db
def test_mixin_makes_any_create_idempotent():
    view = SegmentViewSet.as_view({"post": "create"})
    user = UserFactory()

    def post(data):
        request = APIRequestFactory().post(
            "/segments/", data, format="json", headers={"Idempotency-Key": "seg-1"}
        )
        force_authenticate(request, user)
        return view(request)

    first = post({"name": "Enterprise", "code": "ENT"})
    replay = post({"name": "Enterprise", "code": "ENT"})
    other = post({"name": "SMB", "code": "SMB"})

    assert (first.status_code, replay.status_code, other.status_code) == (201, 201, 422)
    assert replay.data == first.data
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert list(Segment.objects.values_list("code", flat=True)) == ["ENT"]


class FakeDeadlock(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = FakeDeadlock()
    return error


def test_retry_on_deadlock_runs_again_then_gives_up_with_409():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return "done"

    assert retry_on_deadlock(flaky) == "done"
    assert len(calls) == 3

    def always():
        raise deadlock()

    with pytest.raises(Conflict) as info:
        retry_on_deadlock(always)
    assert info.value.code == "concurrent_update"


def test_retry_on_deadlock_leaves_other_errors_alone():
    def broken():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        retry_on_deadlock(broken)
