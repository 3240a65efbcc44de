from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.phones import normalize_phone


class Customer(models.Model):
    """A plant owner: a person or a company, with its contact data."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    memo = models.TextField(_("memo"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class RoleUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. The role decides everything else: only administrators reach the
    admin site, so `is_staff` and `is_superuser` are derived from the role on every save."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        OPERATOR = "operator", _("Operator")
        OWNER = "owner", _("Plant owner")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)
    phone = models.CharField(
        _("mobile phone"),
        max_length=16,
        blank=True,
        help_text=_("Korean (010-1234-5678) or international (+821012345678) format."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ko"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
        help_text=_("For plant owners: whose plants this user sees."),
    )

    objects = RoleUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None
        if self.role == self.Role.OWNER and self.customer_id is None:
            raise ValidationError(
                {"customer": _("A plant owner needs a customer: choose whose plants they see.")}
            )

    # The login that changed its own password on the password page, kept open (see save).
    password_change_keeps_login: int | None = None
    _password_cleared = False

    def save(self, *args, **kwargs) -> None:
        administrator = self.role == self.Role.ADMIN
        self.is_staff = self.is_superuser = administrator
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        # set_password leaves the raw password in _password until the save; Django's own hash
        # upgrade at login clears it first, so an upgrade is not taken for a change.
        password_changed = (
            self.pk is not None
            and (self._password is not None or self._password_cleared)
            and (update_fields is None or "password" in update_fields)
        )
        super().save(*args, **kwargs)
        if password_changed:
            from accounts.sessions import user_logins_end

            self._password_cleared = False
            user_logins_end(
                user=self,
                reason=LoginHistory.EndReason.PASSWORD_CHANGED,
                keep=self.password_change_keeps_login,
            )

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_cleared = True

    def get_full_name(self) -> str:
        """Korean names read family name first, without a space: 이서연."""
        if any("\uac00" <= char <= "\ud7a3" for char in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    @property
    def sees_all_stations(self) -> bool:
        return self.is_superuser or self.role in (self.Role.ADMIN, self.Role.OPERATOR)

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN


class LoginHistory(models.Model):
    """Every login attempt; a successful one stays open until it ends."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")

    class Failure(models.TextChoices):
        UNKNOWN_USER = "unknown_user", _("Unknown user")
        WRONG_PASSWORD = "wrong_password", _("Wrong password")
        INACTIVE = "inactive", _("Account disabled")
        LOCKED = "locked", _("Locked out after failures")
        CONCURRENT = "concurrent", _("Refused: already logged in")

    class EndReason(models.TextChoices):
        LOGOUT = "logout", _("Logged out")
        EXPIRED = "expired", _("Expired")
        REPLACED = "replaced", _("Replaced by a newer login")
        ADMIN = "admin", _("Ended by an administrator")
        TAKEN_OVER = "taken_over", _("Ended by a login elsewhere that took over")
        PASSWORD_CHANGED = "password_changed", _("Ended by a password change")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="logins",
    )
    username = models.CharField(_("user id as typed"), max_length=150)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    channel = models.CharField(
        _("channel"), max_length=3, choices=Channel.choices, default=Channel.WEB
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    succeeded = models.BooleanField(_("succeeded"), default=True)
    failure = models.CharField(_("failure"), max_length=20, choices=Failure.choices, blank=True)
    logged_in_at = models.DateTimeField(_("logged in"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("how it ended"), max_length=20, choices=EndReason.choices, blank=True
    )
    imported = models.BooleanField(
        _("imported"), default=False, help_text=_("Brought over from the old system's history.")
    )

    class Meta:
        ordering = ["-logged_in_at"]
        verbose_name = _("login history")
        verbose_name_plural = _("login history")
        indexes = [
            models.Index(fields=["user", "ended_at"]),
            models.Index(fields=["username", "logged_in_at"]),
            models.Index(fields=["address", "logged_in_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.logged_in_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.succeeded and self.ended_at is None


class ApiToken(models.Model):
    """A mobile or integration client's token: one per user and device, stored hashed.

    It lives as long as its login (LoginHistory row): idle past LOGIN_IDLE_MINUTES, logged out,
    replaced or ended by an administrator, the token stops working with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    device = models.CharField(_("device"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token starts with"), max_length=8, editable=False)
    login = models.OneToOneField(
        LoginHistory,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        related_name="api_token",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "device"], name="api_token_one_per_device")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.device} {self.prefix}…"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class LoginFailureCount(models.Model):
    """Failed logins counted for one user id from one address, one user id from anywhere, or
    one address whatever user id it tries, and the lock they earned (accounts/lockout.py)."""

    class Scope(models.TextChoices):
        PAIR = "pair", _("user id from one address")
        USER = "user", _("user id from any address")
        ADDRESS = "address", _("address, any user id")

    scope = models.CharField(_("counts"), max_length=7, choices=Scope.choices)
    username = models.CharField(_("user id (lower case)"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=45, blank=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed login count")
        verbose_name_plural = _("failed login counts")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "username", "address"], name="login_failure_count_once"
            )
        ]

    def __str__(self) -> str:
        return " @ ".join(part for part in (self.username, self.address) if part)
