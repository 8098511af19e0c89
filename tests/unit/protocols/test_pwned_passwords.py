"""protocols/pwned_passwords.py: the k-anonymity split of a password's SHA-1, range answers
(padding discarded, malformed answers refused whole) and the corpus's HASH:COUNT lines."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.protocols.pwned_passwords import (
    RangeAnswerError,
    parse_hash_line,
    parse_range,
    range_prefix,
    range_suffix,
    sha1_digest,
)

# SHA-1("password"), the example Pwned Passwords' documentation uses.
PASSWORD_SHA1 = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"


def test_the_prefix_and_suffix_of_a_known_password() -> None:
    digest = sha1_digest("password")
    assert range_prefix(digest) == "5BAA6"
    assert range_suffix(digest) == PASSWORD_SHA1[5:]


@given(st.text())
def test_prefix_and_suffix_make_the_upper_case_sha1_of_the_utf8_bytes(password: str) -> None:
    digest = sha1_digest(password)
    expected = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    assert range_prefix(digest) + range_suffix(digest) == expected
    assert len(range_prefix(digest)) == 5


def test_a_range_answer_drops_the_padding_lines() -> None:
    body = (
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n"
        "0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n"  # Add-Padding's decoy
        "00d4f6e8fa6eecad2a3aa415eec418d38ec:2\r\n"  # lower case is read too
    )
    assert parse_range(body) == {
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8": 10434004,
        "00D4F6E8FA6EECAD2A3AA415EEC418D38EC": 2,
    }


@pytest.mark.parametrize(
    "body",
    [
        "<html>proxy login</html>",
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8",  # no count
        "1E4C9B93F3F0682250B6CF8331B7EE68FD:1",  # 34 digits
        "1E4C9B93F3F0682250B6CF8331B7EE68FDX:1",  # not hex
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8:-1",
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8:١",  # a digit, but not ASCII
    ],
)
def test_an_answer_with_a_malformed_line_is_refused_whole(body: str) -> None:
    with pytest.raises(RangeAnswerError):
        parse_range("00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\r\n" + body)


def test_hash_lines_of_the_download() -> None:
    digest = bytes.fromhex(PASSWORD_SHA1)
    assert parse_hash_line(f"{PASSWORD_SHA1}:10434004\r\n") == (digest, 10434004)
    assert parse_hash_line(PASSWORD_SHA1.lower()) == (digest, None)
    assert parse_hash_line("password") is None
    assert parse_hash_line(PASSWORD_SHA1 + ":") is None
    assert parse_hash_line(PASSWORD_SHA1[:-1]) is None
