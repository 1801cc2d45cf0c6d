from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from .models import RoleAssignment, Unit, User
from .roles import unit_ids_where


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
