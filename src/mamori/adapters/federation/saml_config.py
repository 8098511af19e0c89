"""pysaml2's configuration for a user pool as a SAML service provider (adapters/federation/saml.py
and saml_logout.py build their clients with it): the SP's endpoints and what it requires of
responses, its keys as the files pysaml2 and xmlsec1 read (in a private directory that lives
only as long as one call), and the lock around pysaml2's shared redirect-binding signer."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from mamori.services.federation.ports import SamlError, ServiceProvider

# Clock skew allowed on NotBefore / NotOnOrAfter (seconds).
SKEW = 60
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
# pysaml2's redirect-binding signer is one module-level object per algorithm whose key is set
# before each use: two threads signing for two pools at once must not interleave.
SIGNING = threading.Lock()


def xmlsec() -> str:
    return shutil.which("xmlsec1") or "/usr/bin/xmlsec1"


@contextlib.contextmanager
def key_files(sp: ServiceProvider) -> Iterator[dict[str, str]]:
    """The pool's keys as the files pysaml2 and xmlsec1 read, in a private directory removed
    at once after the call (0700 directory, 0600 files)."""
    directory = tempfile.mkdtemp(prefix="mamori-saml-")
    try:
        paths = {}
        for name, value in (
            ("signing_key", sp.keys.signing_key),
            ("signing_cert", sp.keys.signing_certificate),
            ("encryption_key", sp.keys.encryption_key),
            ("encryption_cert", sp.keys.encryption_certificate),
        ):
            path = os.path.join(directory, name + ".pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(value)
            paths[name] = path
        yield paths
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def sp_config(
    sp: ServiceProvider,
    files: Mapping[str, str],
    metadata: str | None,
    *,
    unsolicited: bool = False,
    encrypted: bool = False,
) -> SPConfig:
    sp_service: dict[str, Any] = {
        "endpoints": {
            "assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)],
            "single_logout_service": [(sp.slo_url, BINDING_HTTP_REDIRECT)],
        },
        "allow_unsolicited": unsolicited,
        "authn_requests_signed": False,
        "logout_requests_signed": True,
        "want_response_signed": False,
        "want_assertions_signed": False,
        # Either the response or every assertion signed by the IdP: pysaml2 refuses the rest.
        "want_assertions_or_response_signed": True,
        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
        "name_id_format_allow_create": True,
    }
    conf: dict[str, Any] = {
        "entityid": sp.entity_id,
        "xmlsec_binary": xmlsec(),
        "service": {"sp": sp_service},
        "key_file": files["signing_key"],
        "cert_file": files["signing_cert"],
        "accepted_time_diff": SKEW,
        "allow_unknown_attributes": True,
        "delete_tmpfiles": True,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }
    if encrypted:
        conf["encryption_keypairs"] = [
            {"key_file": files["encryption_key"], "cert_file": files["encryption_cert"]}
        ]
    if metadata is not None:
        conf["metadata"] = {"inline": [metadata]}
    config = SPConfig()
    config.load(conf)
    return config


def location(info: Mapping[str, Any]) -> str:
    for name, value in info.get("headers", ()):
        if name == "Location":
            return str(value)
    raise SamlError("no redirect location")
