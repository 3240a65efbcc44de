from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, Customer, LoginFailureCount, LoginHistory, User
from accounts.sessions import login_end
from accounts.tokens import api_tokens_revoke


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_person", "phone", "email", "station_count"]
    search_fields = ["name", "contact_person", "phone", "email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(station_total=Count("stations"))

    @admin.display(description=_("plants"), ordering="station_total")
    def station_count(self, customer: Customer) -> int:
        return customer.station_total


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff and superuser flags follow the role (see User.save), so they are not edited here."""

    list_display = ["username", "full_name", "role", "customer", "phone", "is_active", "last_login"]
    list_filter = ["role", "is_active", "language"]
    list_select_related = ["customer"]
    search_fields = ["username", "first_name", "last_name", "email", "phone", "customer__name"]
    autocomplete_fields = ["customer"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "email", "phone", "language"]}),
        (_("Access"), {"fields": ["role", "customer", "is_active"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "password1", "password2", "role", "customer", "phone"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("name"))
    def full_name(self, user: User) -> str:
        return user.get_full_name()


class LoginStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("ended", _("ended")), ("failed", _("failed"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(succeeded=True, ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(succeeded=True, ended_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(succeeded=False)
        return queryset


@admin.register(LoginHistory)
class LoginHistoryAdmin(admin.ModelAdmin):
    list_display = [
        "username",
        "user",
        "channel",
        "address",
        "logged_in_at",
        "last_seen_at",
        "outcome",
        "ended_at",
        "end_reason",
    ]
    list_filter = [LoginStateFilter, "failure", "end_reason", "channel", "imported"]
    date_hierarchy = "logged_in_at"
    list_select_related = ["user"]
    search_fields = ["username", "address", "user__first_name", "user__last_name"]
    actions = ["end_logins"]
    readonly_fields = [field.name for field in LoginHistory._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("outcome"))
    def outcome(self, login: LoginHistory) -> str:
        if not login.succeeded:
            return login.get_failure_display()
        return _("active") if login.is_active else _("ended")

    @admin.action(description=_("End this login"), permissions=["view"])
    def end_logins(self, request, queryset) -> None:
        ended = sum(
            login_end(login=login, reason=LoginHistory.EndReason.ADMIN)
            for login in queryset.filter(succeeded=True, ended_at__isnull=True)
        )
        self.message_user(
            request,
            ngettext("Ended %(count)d login.", "Ended %(count)d logins.", ended) % {"count": ended},
            messages.SUCCESS if ended else messages.WARNING,
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by logging in through the API; here they are only seen and revoked."""

    list_display = ["user", "device", "prefix", "created_at", "last_used", "live"]
    list_select_related = ["user", "login"]
    search_fields = ["user__username", "device", "prefix"]
    readonly_fields = ["user", "device", "prefix", "login", "created_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("last used"))
    def last_used(self, token: ApiToken):
        return token.login.last_seen_at

    @admin.display(description=_("live"), boolean=True)
    def live(self, token: ApiToken) -> bool:
        return token.login.is_active

    @admin.action(description=_("Revoke these tokens"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        ended = api_tokens_revoke(tokens=queryset)
        self.message_user(
            request,
            ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", ended)
            % {"count": ended},
            messages.SUCCESS if ended else messages.WARNING,
        )


@admin.register(LoginFailureCount)
class LoginFailureCountAdmin(admin.ModelAdmin):
    """Failed logins counted by accounts/lockout.py; "Unlock" forgets them (someone called
    and proved who they are)."""

    list_display = ["scope", "username", "address", "failures", "last_failure_at", "locked_until"]
    list_filter = ["scope"]
    search_fields = ["username", "address"]
    ordering = ["-last_failure_at"]
    readonly_fields = [field.name for field in LoginFailureCount._meta.fields]
    actions = ["unlock"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Unlock: forget these failures"), permissions=["delete"])
    def unlock(self, request, queryset) -> None:
        count = queryset.update(failures=0, locked_until=None)
        self.message_user(
            request,
            ngettext("Unlocked %(count)d count.", "Unlocked %(count)d counts.", count)
            % {"count": count},
            messages.SUCCESS,
        )
