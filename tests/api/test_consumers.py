"""The API as a mobile team meets it: clients generated from the live schema of a running
server. A Python client (openapi-python-client) is generated, pip-installed into a temporary
directory and drives login, the station list, a day curve, the alarms and an acknowledgement;
TypeScript types (openapi-typescript) type-check a small client file with tsc."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import User
from tests.api.conftest import DAY
from tests.conftest import PASSWORD
from tests.live import Server

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)
VENV_BIN = Path(sys.executable).parent
NODE_BIN = Path(settings.BASE_DIR) / "node_modules" / ".bin"


@pytest.fixture
def live(world):
    server = Server()
    server.start()
    yield server
    server.stop()


def live_schema(live: Server, tmp_path: Path) -> Path:
    # Korean, the default language: the schema must not depend on it.
    answer = httpx.get(
        f"{live.url}/api/schema/?format=json", headers={"Accept-Language": "ko"}, timeout=60
    )
    assert answer.status_code == 200
    path = tmp_path / "schema.json"
    path.write_bytes(answer.content)
    return path


def run(*command, cwd: Path) -> None:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # The generator reports what it had to leave out as warnings: nothing may be left out.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.fixture
def python_client(live, tmp_path):
    schema = live_schema(live, tmp_path)
    run(VENV_BIN / "openapi-python-client", "generate", "--path", str(schema), "--meta",
        "setup", "--output-path", str(tmp_path / "client"), cwd=tmp_path)  # fmt: skip
    # Its dependencies (httpx, attrs, python-dateutil) are the project's own: nothing fetched.
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
        "--no-build-isolation", "--target", str(tmp_path / "site"), str(tmp_path / "client"),
        cwd=tmp_path)  # fmt: skip
    sys.path.insert(0, str(tmp_path / "site"))
    try:
        yield importlib.import_module("solarsite_api_client")
    finally:
        sys.path.remove(str(tmp_path / "site"))
        for name in [n for n in sys.modules if n.startswith("solarsite_api_client")]:
            del sys.modules[name]


def test_a_generated_python_client_logs_in_reads_and_acknowledges(live, python_client, world):
    api = python_client
    login = importlib.import_module("solarsite_api_client.api.auth.auth_login_create")
    stations_list = importlib.import_module("solarsite_api_client.api.stations.stations_list")
    station = importlib.import_module("solarsite_api_client.api.stations.stations_retrieve")
    curve = importlib.import_module(
        "solarsite_api_client.api.stations.stations_generation_curve_retrieve"
    )
    alarms_list = importlib.import_module("solarsite_api_client.api.alarms.alarms_list")
    acknowledge = importlib.import_module("solarsite_api_client.api.alarms.alarm_acknowledge")
    models = importlib.import_module("solarsite_api_client.models")

    anonymous = api.Client(base_url=live.url, raise_on_unexpected_status=True)
    owner = world["owner_a"].username
    # The server checks passwords with the production hasher (the suite's is a fast one).
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    User.objects.filter(username=owner).update(password=hashed)
    refused = login.sync(
        client=anonymous,
        body=models.LoginInRequest(username=owner, password="wrong", device="test"),
    )
    assert isinstance(refused, models.Error) and refused.error == "login_failed"
    # The world logged in from device "test": logging in again from it replaces that token.
    answer = login.sync(
        client=anonymous,
        body=models.LoginInRequest(username=owner, password=PASSWORD, device="test"),
    )
    assert isinstance(answer, models.LoginOut) and answer.user == owner
    client = api.AuthenticatedClient(
        base_url=live.url, token=answer.token, prefix="Token", raise_on_unexpected_status=True,
        headers={"Accept-Language": "en"},
    )  # fmt: skip

    page = stations_list.sync(client=client, sort=models.StationsListSort.CODE)
    assert [row.code for row in page.results] == ["A001"]
    (row,) = page.results
    assert row.region == models.RegionEnum.JEONNAM and row.region_label == "South Jeolla"
    assert row.state == models.PlantStateEnum.COMM_ERROR
    assert row.comm_status == models.CommStatusEnum.VALUE_0
    # A plant of another owner is a 404 in the API's error shape, parsed as such.
    hidden = station.sync("B001", client=client)
    assert isinstance(hidden, models.Error) and hidden.error == "not_found"

    day = curve.sync("A001", client=client, date=DAY)
    assert day.date == DAY
    assert {line.inverter for line in day.inverters} == {1, 2}
    assert max(point.kw for point in day.total if point.kw is not None) > 0

    open_alarms = alarms_list.sync(client=client, open_=True)
    assert [alarm.id for alarm in open_alarms.results] == [world["alarm_a"].id]
    assert open_alarms.results[0].acknowledged_by is None
    done = acknowledge.sync(
        world["alarm_a"].id, client=client, body=models.NoteInRequest(note="on my way")
    )
    assert (done.acknowledged_by, done.note) == (owner, "on my way")
    again = alarms_list.sync(client=client, acknowledged=True)
    assert [alarm.id for alarm in again.results] == [world["alarm_a"].id]


@pytest.mark.skipif(not (NODE_BIN / "tsc").exists(), reason="npm packages not installed")
def test_typescript_types_from_the_schema_type_check_a_client(live, tmp_path):
    schema = live_schema(live, tmp_path)
    run(NODE_BIN / "openapi-typescript", str(schema), "--output", str(tmp_path / "schema.d.ts"),
        cwd=tmp_path)  # fmt: skip
    shutil.copy(Path(__file__).with_name("client.ts"), tmp_path / "client.ts")
    run(NODE_BIN / "tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
        "--moduleResolution", "bundler", "--lib", "es2022,dom", "client.ts",
        cwd=tmp_path)  # fmt: skip
