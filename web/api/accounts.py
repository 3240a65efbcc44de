"""Login, logout and "me" for API clients; customers and users for staff. Thin views."""

from __future__ import annotations

import math

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response

from accounts.models import ApiToken, Customer, User
from accounts.sessions import Refusal, idle_limit, open_logins
from accounts.tokens import api_login, api_logout
from monitoring.visibility import stations_visible_to
from solarsite.api_errors import ApiError
from solarsite.api_schema import ErrorSerializer
from solarsite.api_throttles import LoginThrottle
from solarsite.api_views import ApiView, QueryMixin, StrictJson


class IsStaff(BasePermission):
    """Operators and administrators."""

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.sees_all_stations


class IsAdministrator(BasePermission):
    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.is_administrator


class IsAdministratorOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or request.user.is_administrator


class LoginIn(StrictJson, serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The user id.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    device = serializers.CharField(
        max_length=100,
        default="default",
        help_text="Names the client; logging in again from it replaces its token.",
    )
    force = serializers.BooleanField(
        default=False,
        help_text="When this user id is logged in elsewhere (a browser or another device's "
        "token), end that login and log in here; it is told why on its next call (401 "
        "`token_taken_over`). Without it such a login is refused (401 `login_concurrent`). "
        "Only a right password can end another login.",
    )


class LoginOut(serializers.Serializer):
    token = serializers.CharField()
    expires_after_idle_minutes = serializers.IntegerField()
    user = serializers.CharField()


LOGIN_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Refused; `error` says why: `login_failed` (unknown user id or wrong password: "
    "one code for both), `login_locked` (too many failures; `Retry-After` says how long), "
    "`login_inactive`, `login_concurrent` (logged in elsewhere: send `force`).",
)


class LoginView(ApiView):
    """Log in with user id and password: the web login's rules and messages, recorded in the
    login history (channel api). Answers a token for `Authorization: Token <token>`."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @extend_schema(request=LoginIn, responses={200: LoginOut, 401: LOGIN_REFUSED}, auth=[])
    def post(self, request, version=None):
        body = LoginIn(data=request.data)
        body.is_valid(raise_exception=True)
        result = api_login(
            username=body.validated_data["username"],
            password=body.validated_data["password"],
            device=body.validated_data["device"],
            force=body.validated_data["force"],
            address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        outcome = result.outcome
        if not outcome.ok:
            error = ApiError(
                f"login_{outcome.refusal}",
                outcome.message,
                status_code=status.HTTP_401_UNAUTHORIZED,
            )
            if outcome.refusal == Refusal.LOCKED:
                error.wait = max(1, math.ceil((outcome.until - timezone.now()).total_seconds()))
            raise error
        minutes = int(idle_limit().total_seconds() // 60)
        # no-store: the token is a secret, kept by no cache and never compressed (BREACH).
        return Response(
            {"token": result.key, "expires_after_idle_minutes": minutes,
             "user": outcome.user.username},
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip


class LogoutView(ApiView):
    """End this token's login. A session (the pages' own calls) is not ended here."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, version=None):
        if not isinstance(request.auth, ApiToken):
            raise ApiError(
                "not_a_token", _("Log out with the token you logged in with."), status_code=400
            )
        api_logout(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StationBrief(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    role = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    customer = serializers.CharField(source="customer.name", default=None, allow_null=True)
    stations = StationBrief(many=True)


class MeView(ApiView):
    """The user and the plants they may see."""

    @extend_schema(responses={200: MeOut})
    def get(self, request, version=None):
        user = request.user
        user.stations = stations_visible_to(user).only("code", "name").order_by("code")
        return Response(MeOut(user).data)


class CustomerOut(serializers.ModelSerializer):
    stations = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "contact_person", "phone", "email", "address", "stations"]


class CustomerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="by_text", help_text="Part of name or contact.")

    class Meta:
        model = Customer
        fields: list = []

    def by_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(contact_person__icontains=value))


class CustomerList(QueryMixin, generics.ListAPIView):
    """Customers (plant owners' companies), for operators and administrators."""

    permission_classes = [IsStaff]
    serializer_class = CustomerOut
    filterset_class = CustomerFilter
    queryset = Customer.objects.prefetch_related("stations").order_by("name", "id")


class UserOut(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name")
    customer = serializers.CharField(source="customer.name", default=None, allow_null=True)
    logged_in = serializers.BooleanField()
    managed_stations = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "role", "email", "phone", "customer",
                  "is_active", "last_login", "logged_in", "managed_stations"]  # fmt: skip


class UserFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the user id.")
    role = django_filters.ChoiceFilter(choices=User.Role.choices)
    name = django_filters.CharFilter(method="by_name", help_text="Part of first or last name.")
    manager = django_filters.BooleanFilter(
        method="by_manager", help_text="Only users who manage a plant (true) or none (false)."
    )
    station = django_filters.CharFilter(
        method="by_station", help_text="A plant code: its owners and its manager."
    )
    logged_in = django_filters.BooleanFilter(field_name="logged_in", help_text="Logged in now.")

    class Meta:
        model = User
        fields: list = []

    def by_name(self, queryset, name, value):
        return queryset.filter(Q(first_name__icontains=value) | Q(last_name__icontains=value))

    def by_manager(self, queryset, name, value):
        return queryset.filter(managed_stations__isnull=not value).distinct()

    def by_station(self, queryset, name, value):
        return queryset.filter(
            Q(customer__stations__code=value) | Q(managed_stations__code=value)
        ).distinct()


class UserList(QueryMixin, generics.ListAPIView):
    """Users search, for administrators."""

    permission_classes = [IsAdministrator]
    serializer_class = UserOut
    filterset_class = UserFilter

    def get_queryset(self):
        # Logged in: an open login seen within the idle limit (the sweep may not have run).
        live = open_logins().filter(
            user=OuterRef("pk"), last_seen_at__gte=timezone.now() - idle_limit()
        )
        return (
            User.objects.select_related("customer")
            .prefetch_related("managed_stations")
            .annotate(logged_in=Exists(live))
            .order_by("username", "id")
        )
