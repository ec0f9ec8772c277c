"""The service's SMTP adapter against a real aiosmtpd server on loopback that demands STARTTLS (or TLS from the
first byte) and AUTH, with a certificate made here for 127.0.0.1 by a throwaway CA: the e-mail goes out encrypted
and authenticated when the settings say how, and not at all when the certificate, the password or the upgrade
is missing."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from notifications.adapters.smtp import SmtpMailer
from notifications.config import Settings
from notifications.domain.mail import Recipient, Rendered, build_message

USER, PASSWORD = "idm-logistics", "correct horse battery staple"
HOST = "127.0.0.1"


@dataclass
class Certificates:
    ca_file: Path  # the CA that signed the server's certificate (PEM)
    server_context: ssl.SSLContext


def certificate(subject: str, issuer_key: Any, public_key: Any, issuer: x509.Name | None, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # cert and CRL signing
        builder = builder.add_extension(usage, critical=True).add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(HOST)), x509.DNSName("localhost")]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Test CA for notifications", ca_key, ca_key.public_key(), None, ca=True)
    server = certificate(HOST, ca_key, server_key.public_key(), ca.subject, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Certificates(folder / "ca.pem", context)


@dataclass
class Received:
    """What the server accepted: each message with whether the session was encrypted and who logged in."""

    messages: list[tuple[bytes, bool, str | None]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if session.authenticated else None
        encrypted = server.transport.get_extra_info("ssl_object") is not None  # after STARTTLS, or from the start
        self.messages.append((envelope.content, encrypted, login))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # not handled: the server answers 535


@dataclass
class Server:
    port: int
    received: Received


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def serve(certificates: Certificates, *, implicit_tls: bool) -> Iterator[Server]:
    received, port = Received(), free_port()
    tls = {"ssl_context": certificates.server_context} if implicit_tls else {}
    controller = Controller(
        received,
        hostname=HOST,
        port=port,
        server_hostname=HOST,
        **tls,
        # A relay as an organisation runs one: no mail before STARTTLS (TLS already, on the implicit port) and
        # AUTH, and AUTH only over TLS.
        tls_context=None if implicit_tls else certificates.server_context,
        require_starttls=not implicit_tls,
        auth_required=True,
        # aiosmtpd knows of TLS only through its own STARTTLS: on the implicit port, every session is TLS anyway.
        auth_require_tls=not implicit_tls,
        authenticator=received.authenticate,
    )
    controller.start()
    try:
        yield Server(port, received)
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(certificates: Certificates) -> Iterator[Server]:
    yield from serve(certificates, implicit_tls=False)


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[Server]:
    yield from serve(certificates, implicit_tls=True)


def message() -> Any:
    recipient = Recipient("Aminata", "Sarr", "aminata.sarr@interior.gov-sn.example", "fr")
    return build_message(
        kind="received",
        delegate_ref="GVA-901",
        version=1,
        recipient=recipient,
        sender="IOM IDM Logistics <idm-logistics@iom.example>",
        rendered=Rendered("Demande reçue", "Votre demande a été reçue.", "<p>Votre demande a été reçue.</p>"),
        language="fr",
    )


def settings(port: int, **changes: Any) -> Settings:
    given = {"smtp_host": HOST, "smtp_port": port, "smtp_username": USER, "smtp_password": PASSWORD, **changes}
    return Settings(smtp_timeout=10, **given)


async def test_starttls_and_auth_deliver_the_e_mail_encrypted_and_authenticated(
    starttls_server: Server, certificates: Certificates
) -> None:
    mailer = SmtpMailer(settings(starttls_server.port, smtp_starttls=True, smtp_ca_file=str(certificates.ca_file)))

    await mailer.send(message())

    [(content, encrypted, login)] = starttls_server.received.messages
    assert encrypted and login == USER
    delivered = message_from_bytes(content, policy=policy.default)
    assert delivered["Message-ID"] == message()["Message-ID"]
    assert delivered.get_body(("plain",)).get_content().strip() == "Votre demande a été reçue."


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # TLS it is: see serve()
async def test_tls_from_the_first_byte_delivers_the_e_mail(tls_server: Server, certificates: Certificates) -> None:
    mailer = SmtpMailer(settings(tls_server.port, smtp_tls=True, smtp_ca_file=str(certificates.ca_file)))

    await mailer.send(message())

    [(_, encrypted, login)] = tls_server.received.messages
    assert encrypted and login == USER


async def test_a_certificate_no_trusted_ca_signed_is_refused_by_default(starttls_server: Server) -> None:
    """Without the CA file the server's certificate is checked against the system's CAs, which never signed it."""
    mailer = SmtpMailer(settings(starttls_server.port, smtp_starttls=True))

    with pytest.raises(ssl.SSLCertVerificationError):
        await mailer.send(message())

    assert starttls_server.received.messages == [] and starttls_server.received.logins == [], "no password sent"


async def test_verification_can_be_turned_off_for_a_test_server(starttls_server: Server) -> None:
    mailer = SmtpMailer(settings(starttls_server.port, smtp_starttls=True, smtp_verify_certificate=False))

    await mailer.send(message())

    assert [encrypted for _, encrypted, _ in starttls_server.received.messages] == [True]


async def test_a_wrong_password_delivers_nothing(starttls_server: Server, certificates: Certificates) -> None:
    mailer = SmtpMailer(
        settings(
            starttls_server.port, smtp_starttls=True, smtp_ca_file=str(certificates.ca_file), smtp_password="guess"
        )
    )

    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await mailer.send(message())

    logins = starttls_server.received.logins  # aiosmtplib tries each mechanism the server offers (PLAIN, LOGIN)
    assert starttls_server.received.messages == [] and logins and set(logins) == {(USER, False)}


async def test_without_starttls_the_server_takes_no_mail_and_no_password(starttls_server: Server) -> None:
    mailer = SmtpMailer(settings(starttls_server.port))  # SMTP_STARTTLS left false

    with pytest.raises(aiosmtplib.SMTPException):
        await mailer.send(message())

    assert starttls_server.received.messages == [] and starttls_server.received.logins == []


class Refusing:
    """A server that answers RCPT with a fixed code: 550 (mailbox unavailable: for good) or 451 (try later)."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return self.answer


@pytest.mark.parametrize(("answer", "for_good"), [("550 5.1.1 Mailbox unavailable", True), ("451 4.3.0 Later", False)])
async def test_a_refusal_for_good_is_told_apart_from_one_worth_retrying(answer: str, for_good: bool) -> None:
    from notifications.service.ports import MailRefused

    port = free_port()
    controller = Controller(Refusing(answer), hostname=HOST, port=port)
    controller.start()
    try:
        mailer = SmtpMailer(settings(port, smtp_username="", smtp_password=""))
        with pytest.raises(Exception) as failed:
            await mailer.send(message())
    finally:
        controller.stop()
    assert isinstance(failed.value, MailRefused) == for_good, failed.value
    if for_good:
        assert str(failed.value) == "smtp 550: recipient refused"  # no address in the reason
