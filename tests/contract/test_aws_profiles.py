"""AWS shared config profiles as connections, resolved by botocore's own providers."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.aws_auth import (
    aws_profile,
    list_aws_profiles,
    sso_cache_dir,
    sso_session,
    sso_token_valid,
)
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.check import check_connection
from cloudbrowser.core.errors import Cancelled, ConfigError, InvalidCredentials
from tests.conftest import S3Server
from tests.unit.test_sso_login import START_URL, Flow


def write_config(tmp_path: Path, text: str, credentials: str = "") -> None:
    # The autouse fixture points AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE here.
    (tmp_path / "aws-config").write_text(text)
    (tmp_path / "aws-credentials").write_text(credentials)


def frozen_key(backend: S3Backend) -> str:
    # What botocore signed with (test-only peek at the client's credentials).
    creds = backend.client._request_signer._credentials
    return str(creds.get_frozen_credentials().access_key)


def test_profiles_are_listed_with_their_kind(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "[default]\nregion = eu-west-1\n"
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = keys\n"
        "[profile proc]\ncredential_process = /bin/true\n"
        "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = eu-west-1\n",
        "[keys]\naws_access_key_id = a\naws_secret_access_key = b\n",
    )
    kinds = {p.name: p.kind for p in list_aws_profiles()}
    assert kinds == {
        "default": "other",
        "keys": "keys",
        "role": "assume-role",
        "proc": "process",
        "sso": "sso",
    }
    settings = aws_profile("default").settings()
    assert settings.aws_profile == "default" and settings.region == "eu-west-1"
    with pytest.raises(ConfigError, match="nope"):
        aws_profile("nope")


def test_static_keys_profile_with_its_own_endpoint(rclone_server: S3Server, tmp_path: Path) -> None:
    bucket = rclone_server.bucket("awskeys")
    creds = rclone_server.credentials
    write_config(
        tmp_path,
        f"[profile keys]\nregion = us-east-1\nendpoint_url = {rclone_server.endpoint_url}\n"
        "s3 =\n  addressing_style = path\n",
        f"[keys]\naws_access_key_id = {creds.access_key_id}\n"
        f"aws_secret_access_key = {creds.secret_access_key}\n",
    )
    backend = S3Backend(aws_profile("keys").settings())
    assert bucket in [b.name for b in backend.list_buckets()]


def test_credential_process(rclone_server: S3Server, tmp_path: Path) -> None:
    bucket = rclone_server.bucket("awsproc")
    creds = rclone_server.credentials
    script = tmp_path / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps("
        + repr(
            {
                "Version": 1,
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
            }
        )
        + "))\n"
    )
    write_config(
        tmp_path,
        f"[profile proc]\nregion = us-east-1\nendpoint_url = {rclone_server.endpoint_url}\n"
        f"credential_process = {sys.executable} {script}\n",
    )
    backend = S3Backend(aws_profile("proc").settings())
    assert bucket in [b.name for b in backend.list_buckets()]  # rclone checked the signature


def role_chain_config(tmp_path: Path, endpoint: str, mfa: bool) -> None:
    mfa_line = "mfa_serial = arn:aws:iam::123456789012:mfa/me\n" if mfa else ""
    # endpoint_url in the role's profile applies to every service: STS (for AssumeRole)
    # and S3 both go to the moto server.
    write_config(
        tmp_path,
        "[profile base]\nregion = us-east-1\n"
        f"[profile role]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        f"role_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = base\n{mfa_line}",
        "[base]\naws_access_key_id = base-access-key-id\n"
        "aws_secret_access_key = base-secret-access-key\n",
    )


def test_role_chain_assumes_the_role_through_sts(moto_server: S3Server, tmp_path: Path) -> None:
    bucket = moto_server.bucket("awsrole")
    role_chain_config(tmp_path, moto_server.endpoint_url, mfa=False)
    backend = S3Backend(aws_profile("role").settings())
    assert bucket in [b.name for b in backend.list_buckets()]
    # moto's STS handed out temporary credentials (ASIA…), not the base profile's key.
    assert frozen_key(backend).startswith("ASIA")


def test_role_with_mfa_asks_the_prompter(moto_server: S3Server, tmp_path: Path) -> None:
    bucket = moto_server.bucket("awsmfa")
    role_chain_config(tmp_path, moto_server.endpoint_url, mfa=True)
    prompts: list[str] = []

    def prompter(prompt: str) -> str:
        prompts.append(prompt)
        return "123456"

    backend = S3Backend(aws_profile("role").settings(), mfa_prompter=prompter)
    assert bucket in [b.name for b in backend.list_buckets()]
    assert len(prompts) == 1 and "arn:aws:iam::123456789012:mfa/me" in prompts[0]


def test_cancelled_mfa_prompt_cancels(moto_server: S3Server, tmp_path: Path) -> None:
    role_chain_config(tmp_path, moto_server.endpoint_url, mfa=True)

    def prompter(_prompt: str) -> str:
        raise Cancelled("No MFA code given.")

    with pytest.raises(Cancelled):
        check_connection(aws_profile("role").settings(), mfa_prompter=prompter)


def test_credential_process_failure_is_reported(rclone_server: S3Server, tmp_path: Path) -> None:
    write_config(
        tmp_path,
        f"[profile broken]\nendpoint_url = {rclone_server.endpoint_url}\n"
        f"credential_process = {sys.executable} -c 'import sys; sys.exit(3)'\n",
    )
    result = check_connection(aws_profile("broken").settings())
    assert not result.ok and isinstance(result.error, InvalidCredentials)
    assert "credential_process" in result.hint
    assert "custom-process" in result.error.detail


class FakeSsoPortal:
    """IAM Identity Center's GetRoleCredentials (moto has no SSO portal): hands out the
    given keys to a request that carries the expected bearer token, 401 otherwise."""

    def __init__(self, token: str, access_key: str, secret: str) -> None:
        self.calls: list[str] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                portal.calls.append(self.path)
                if self.headers.get("x-amz-sso_bearer_token") != token:
                    self._reply(401, {"message": "Session token not found or invalid"})
                    return
                expiry_ms = int((time.time() + 3600) * 1000)
                creds = {"accessKeyId": access_key, "secretAccessKey": secret}
                creds |= {"sessionToken": "sso-session-token", "expiration": expiry_ms}
                self._reply(200, {"roleCredentials": creds})

            def _reply(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("x-amzn-ErrorType", "UnauthorizedException")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSsoPortal:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_sso_sign_in_then_botocore_signs_with_the_role(
    rclone_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole chain: our device flow writes the token, botocore's SSO provider reads it,
    trades it for role credentials, and rclone accepts requests signed with them."""
    bucket = rclone_server.bucket("sso")
    creds = rclone_server.credentials
    write_config(
        tmp_path,
        "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\n"
        f"sso_role_name = Reader\nregion = us-east-1\nendpoint_url = {rclone_server.endpoint_url}\n"
        f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n",
    )
    sso = sso_session("corp")
    assert sso is not None and not sso_token_valid(sso)
    with pytest.raises(InvalidCredentials) as caught:
        S3Backend(aws_profile("corp").settings()).list_buckets()
    assert caught.value.code == "SSOLoginRequired"

    flow = Flow()
    flow.token()
    path = flow.run(None)  # the default cache dir: botocore's (moved to tmp by conftest)
    assert path.parent == sso_cache_dir() == tmp_path / "aws-sso-cache"
    assert sso_token_valid(sso)
    with FakeSsoPortal("the-access-token", creds.access_key_id, creds.secret_access_key) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", p.url)
        backend = S3Backend(aws_profile("corp").settings())
        assert bucket in [b.name for b in backend.list_buckets()]
    assert len(p.calls) == 1 and "role_name=Reader" in p.calls[0]
