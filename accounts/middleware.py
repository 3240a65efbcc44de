"""Keeps each signed-in session's login history current and ends idle logins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout

from accounts.sessions import SESSION_LOGIN_ID, login_end_message, login_touch


class LoginActivityMiddleware:
    """On each request of a web login: note the activity, or, when the login has ended (idle
    too long, replaced, ended by an administrator), log the browser out and say why. The view
    then treats the request as anonymous, so a page redirects to the login form as usual.

    Sessions made without the login rules (e.g. a test client's force_login) carry no login id
    and pass through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        login_id = request.session.get(SESSION_LOGIN_ID)
        if login_id is not None:
            login = login_touch(login_id=login_id, session_key=request.session.session_key)
            if login is None or login.ended_at is not None:
                logout(request)
                if login is not None:
                    messages.warning(request, login_end_message(login))
        return self.get_response(request)
