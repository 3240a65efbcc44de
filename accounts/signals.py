"""A logout, by the page or the admin site, ends the login's history row."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from accounts.models import LoginHistory
from accounts.sessions import SESSION_LOGIN_ID, login_end


@receiver(user_logged_out)
def end_login_on_logout(sender, request, user, **kwargs) -> None:
    login_id = request.session.get(SESSION_LOGIN_ID) if request is not None else None
    login = LoginHistory.objects.filter(pk=login_id).first() if login_id else None
    if login is not None:
        login_end(login=login, reason=LoginHistory.EndReason.LOGOUT)
