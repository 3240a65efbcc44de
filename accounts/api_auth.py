"""`Authorization: Token <token>` for the API's clients (mobile app, integrations)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.sessions import login_end_message
from accounts.tokens import api_token_check


class TokenAuthentication(BaseAuthentication):
    keyword = b"token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'Token <token>'."), code="invalid_token"
            )
        token, problem = api_token_check(key=parts[1].decode("latin-1"))
        if problem == "unknown":
            raise exceptions.AuthenticationFailed(
                _("This token is not known; log in again at /api/v1/auth/login."),
                code="invalid_token",
            )
        if problem == "inactive":
            raise exceptions.AuthenticationFailed(
                _("Account disabled: ask an administrator to enable it."), code="inactive"
            )
        if problem:
            raise exceptions.AuthenticationFailed(
                login_end_message(token.login), code=f"token_{problem}"
            )
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Token realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, from POST /api/v1/auth/login.",
        }
