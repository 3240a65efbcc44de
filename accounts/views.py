"""Login and logout pages: Django's auth views with the login rules of accounts.sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from accounts.models import LoginHistory, User
from accounts.sessions import login_attempt, login_bind_session


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class LoginForm(AuthenticationForm):
    """Django's login form, deciding by `login_attempt` instead of `authenticate`."""

    login: LoginHistory | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            outcome = login_attempt(
                username=username,
                password=password,
                address=client_address(self.request),
                user_agent=self.request.headers.get("user-agent", ""),
                channel=LoginHistory.Channel.WEB,
            )
            if not outcome.ok:
                raise ValidationError(outcome.message, code=outcome.login.failure)
            self.user_cache = outcome.user
            self.login = outcome.login
        return self.cleaned_data


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(idle_minutes=settings.LOGIN_IDLE_MINUTES, **kwargs)

    def post(self, request, *args, **kwargs):
        # Logging in again from a browser that is still logged in gives that login up first,
        # so it cannot refuse its own successor under CONCURRENT_LOGIN=refuse.
        if request.user.is_authenticated:
            logout(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        login_bind_session(login=form.login, session=self.request.session)
        user = form.get_user()
        if user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


def set_language(request):
    """Django's language switch, also remembered as the user's choice for the next login."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
