"""Login, logout and password pages: Django's auth views with the login rules of
accounts.sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from accounts.models import LoginHistory, User
from accounts.sessions import (
    SESSION_LOGIN_ID,
    LoginOutcome,
    Refusal,
    login_attempt,
    login_bind_session,
    login_take_over,
)

# Where the session keeps the offer to take over, after a login refused as concurrent.
TAKE_OVER_OFFER = "login_take_over"


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class LoginForm(AuthenticationForm):
    """Django's login form, deciding by `login_attempt` instead of `authenticate`."""

    outcome: LoginOutcome | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.outcome = login_attempt(
                username=username,
                password=password,
                address=client_address(self.request),
                user_agent=self.request.headers.get("user-agent", ""),
                channel=LoginHistory.Channel.WEB,
            )
            if not self.outcome.ok:
                raise ValidationError(self.outcome.message, code=self.outcome.refusal)
            self.user_cache = self.outcome.user
        return self.cleaned_data


class LoginView(auth_views.LoginView):
    """The login page. A login refused because the user id is logged in elsewhere (after the
    password was right) offers "end the other login and log in here": the offer waits in
    this browser's session, so the password is not sent again."""

    form_class = LoginForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(idle_minutes=settings.LOGIN_IDLE_MINUTES, **kwargs)

    def post(self, request, *args, **kwargs):
        offer = request.session.pop(TAKE_OVER_OFFER, None) or {}
        # Logging in again from a browser that is still logged in gives that login up first,
        # so it cannot refuse its own successor under CONCURRENT_LOGIN=refuse.
        if request.user.is_authenticated:
            logout(request)
        if "take_over" in request.POST:
            return self.take_over(offer)
        return super().post(request, *args, **kwargs)

    def take_over(self, offer: dict):
        outcome = login_take_over(
            refused_id=offer.get("refused", 0),
            auth_hash=offer.get("hash", ""),
            address=client_address(self.request),
            user_agent=self.request.headers.get("user-agent", ""),
        )
        if not outcome.ok:
            messages.error(self.request, outcome.message)
            return HttpResponseRedirect(self.request.get_full_path())
        return self.signed_in(outcome)

    def form_valid(self, form):
        return self.signed_in(form.outcome)

    def form_invalid(self, form):
        outcome = form.outcome
        offer = outcome is not None and outcome.refusal == Refusal.CONCURRENT
        if offer:
            user = outcome.login.user
            self.request.session[TAKE_OVER_OFFER] = {
                "refused": outcome.login.pk,
                "hash": user.get_session_auth_hash(),
            }
        return self.render_to_response(self.get_context_data(form=form, take_over=offer))

    def signed_in(self, outcome: LoginOutcome):
        auth_login(self.request, outcome.user)
        login_bind_session(login=outcome.login, session=self.request.session)
        response = HttpResponseRedirect(self.get_success_url())
        if outcome.user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                outcome.user.language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's: a changed password ends every other login and API token of the user (see
    User.save); the login that changed it stays."""

    def form_valid(self, form):
        form.user.password_change_keeps_login = self.request.session.get(SESSION_LOGIN_ID)
        return super().form_valid(form)


def set_language(request):
    """Django's language switch, also remembered as the user's choice for the next login."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
