"""The official's reply link (issue 18): opaque, tamper-evident, expiring, one identity per e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shared.reply_links import LinkRefused

from shared import reply_links

SECRET = "a secret from the configuration"
NOW = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)


def mint(now: datetime = NOW, kind: str = "itinerary", version: int = 1) -> str:
    return reply_links.mint(SECRET, "GVA-014", "idm-2006-geneva", kind, version, now, days=30)


def test_a_link_reads_back_to_its_delegate_workshop_email_and_expiry() -> None:
    link = reply_links.read(SECRET, mint(), NOW + timedelta(days=29))
    assert (link.delegate_ref, link.workshop_id, link.kind, link.version) == (
        "GVA-014",
        "idm-2006-geneva",
        "itinerary",
        1,
    )
    assert link.expires_at == NOW + timedelta(days=30)


def test_nothing_about_the_delegate_can_be_read_in_the_url() -> None:
    token = mint()
    url = reply_links.url("https://idm.example/", token)
    assert url == f"https://idm.example/reply/{token}"
    for visible in ("GVA", "014", "geneva", "itinerary"):
        assert visible not in url.removeprefix("https://idm.example/")


def test_an_expired_link_is_refused_as_expired() -> None:
    with pytest.raises(LinkRefused) as refused:
        reply_links.read(SECRET, mint(), NOW + timedelta(days=30, seconds=1))
    assert refused.value.why == "expired"


@pytest.mark.parametrize(
    "alter",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),  # the signature
        lambda t: t[:40] + ("x" if t[40] != "x" else "y") + t[41:],  # the body
        lambda t: t[:20],  # cut short
        lambda t: "not-a-token",
        lambda t: reply_links.mint("another secret", "GVA-014", "idm-2006-geneva", "itinerary", 1, NOW, 30),
    ],
)
def test_an_altered_or_foreign_link_is_refused_as_tampered(alter: object) -> None:
    with pytest.raises(LinkRefused) as refused:
        reply_links.read(SECRET, alter(mint()), NOW)  # type: ignore[operator]
    assert refused.value.why == "tampered"


def test_the_same_email_minted_twice_is_one_reply_another_email_is_another() -> None:
    first, again = mint(), mint()
    assert first != again, "each minting is its own ciphertext"
    assert reply_links.read(SECRET, first, NOW).link_id == reply_links.read(SECRET, again, NOW).link_id
    changed = reply_links.read(SECRET, mint(kind="itinerary_changed", version=2), NOW)
    assert changed.link_id != reply_links.read(SECRET, first, NOW).link_id


def test_no_secret_no_link_and_every_link_refused() -> None:
    with pytest.raises(ValueError, match="REPLY_LINK_SECRET"):
        reply_links.mint("", "GVA-014", "idm-2006-geneva", "itinerary", 1, NOW, 30)
    with pytest.raises(LinkRefused):
        reply_links.read("", mint(), NOW)


def test_a_link_carries_the_language_of_its_email_even_when_expired() -> None:
    french = reply_links.mint(SECRET, "GVA-014", "idm-2006-geneva", "itinerary", 1, NOW, 30, language="fr")
    assert reply_links.read(SECRET, french, NOW).language == "fr"
    assert reply_links.read(SECRET, french, NOW).link_id == reply_links.read(SECRET, mint(), NOW).link_id
    with pytest.raises(LinkRefused) as refused:
        reply_links.read(SECRET, french, NOW + timedelta(days=31))
    assert (refused.value.why, refused.value.language) == ("expired", "fr")


def test_a_link_minted_before_languages_were_carried_reads_as_english() -> None:
    body = f'["GVA-014","idm-2006-geneva","itinerary",1,{int((NOW + timedelta(days=30)).timestamp())}]'
    older = reply_links._fernet(SECRET).encrypt(body.encode()).decode()
    assert reply_links.read(SECRET, older, NOW).language == "en"
