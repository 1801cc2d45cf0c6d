import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .models import RoleAssignment, Unit, User
from .roles import unit_ids_where
from .text import NormalizingFormParser, NormalizingJSONParser, NormalizingMultiPartParser


class UnitSerializer(serializers.ModelSerializer):
    upstream_name = serializers.CharField(source="upstream.name", default=None, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name", "level", "kind", "parent", "upstream", "upstream_name"]


class RoleSerializer(serializers.ModelSerializer):
    unit = UnitSerializer()

    class Meta:
        model = RoleAssignment
        fields = ["role", "unit"]


class MeSerializer(serializers.ModelSerializer):
    roles = RoleSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "phone", "clearance", "roles"]


@extend_schema(tags=["people"], summary="My profile, with the roles I hold and their units")
class MeApi(generics.RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return User.objects.prefetch_related("roles__unit__upstream").get(pk=self.request.user.pk)


@extend_schema(tags=["people"], summary="The units in which I hold a role")
class MyUnitsApi(generics.ListAPIView):
    serializer_class = UnitSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Unit.objects.filter(pk__in=unit_ids_where(self.request.user)).select_related("upstream")


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, with the lengths bounded before anything is authenticated (or recorded by axes, whose username column
    is 255 characters): a longer username or password can match no account and is refused with 400."""

    username = serializers.CharField(label=gettext_lazy("Username"), max_length=User._meta.get_field("username").max_length,
                                     write_only=True)
    password = serializers.CharField(label=gettext_lazy("Password"), max_length=4096, style={"input_type": "password"},
                                     trim_whitespace=False, write_only=True)


@extend_schema(
    tags=["people"], summary="A token for a username and password",
    responses={
        200: inline_serializer("Token", {"token": serializers.CharField()}),
        400: OpenApiResponse(description="Wrong credentials (`errors` says which field)."),
        429: inline_serializer("Locked", {"detail": serializers.CharField(), "code": serializers.CharField(),
                                          "retry_after": serializers.IntegerField()}),
    },
)
class TokenApi(ObtainAuthToken):
    """POST username and password, get the token. After AXES_FAILURE_LIMIT wrong passwords the username is locked
    at that address: the answer is then 429 with code `locked` and `retry_after` seconds (also the Retry-After
    header), and asking again during the lock neither tries the password nor extends the lock."""

    permission_classes = [AllowAny]  # as ObtainAuthToken's empty list, but the schema then says anyone may call it
    serializer_class = TokenRequestSerializer
    # ObtainAuthToken names DRF's own parsers: the normalising ones instead (a NUL in a username reached axes' query).
    parser_classes = [NormalizingFormParser, NormalizingMultiPartParser, NormalizingJSONParser]

    def post(self, request, *args, **kwargs):
        credentials = {"username": str(request.data.get("username", ""))[:150]}
        if AxesProxyHandler.is_locked(request, credentials):
            seconds = _lock_left(request, credentials["username"])
            response = Response({"detail": _("Too many failed logins: try again in %(minutes)d minutes.")
                                 % {"minutes": math.ceil(seconds / 60)}, "code": "locked", "retry_after": seconds},
                                status=status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = str(seconds)
            return response
        return super().post(request, *args, **kwargs)


def _lock_left(request, username: str) -> int:
    """Seconds until the lock on this username at this address ends (from its last counted failure)."""
    last = (AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address)
            .order_by("-attempt_time").values_list("attempt_time", flat=True).first())
    cool_off = get_cool_off(request)
    if last is None or cool_off is None:
        return 60
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))
