"""The import bookkeeping in the admin: what an administrator sees."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import User
from field.models import ImportMark

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_the_marks_and_can_reset_one(client):
    admin = User.objects.create_superuser("root", password="correct-horse-battery-staple")
    client.force_login(admin)
    ImportMark.objects.create(table="inverterlog", value={"type": "value", "value": 1000})

    with translation.override("en"):
        page = client.get("/admin/field/importmark/", HTTP_ACCEPT_LANGUAGE="en")
        mark = ImportMark.objects.get(table="inverterlog")
        deleted = client.post(
            f"/admin/field/importmark/{mark.pk}/delete/", {"post": "yes"}, follow=True
        )

    assert page.status_code == 200 and b"inverterlog" in page.content
    assert deleted.status_code == 200
    assert not ImportMark.objects.exists()
