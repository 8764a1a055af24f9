"""Email delivery: a console adapter for development and an SMTP adapter (aiosmtplib).

Bodies come from Jinja templates in `mail_templates/`: one file per email, extending a layout
that is rendered once for each part (subject, text, html); the HTML part escapes every value.
Jinja and aiosmtplib are imported with the first email, not when the service starts: most
requests send none, and the server is ready sooner and smaller without them.
"""

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "mail_templates"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailRenderer:
    def __init__(self, app_name: str) -> None:
        self._app_name = app_name
        self._env: jinja2.Environment | None = None

    def _environment(self) -> "jinja2.Environment":
        if self._env is None:
            import jinja2  # with the first email (see the docstring)

            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(TEMPLATES),
                autoescape=False,  # noqa: S701 - the layout escapes the html part itself
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
            )
            self._env.globals["app_name"] = self._app_name
        return self._env

    def render(self, template: str, context: Mapping[str, object]) -> RenderedMail:
        compiled = self._environment().get_template(f"{template}.jinja2")
        subject, text, html = (
            compiled.render(**context, part=part).strip() for part in ("subject", "text", "html")
        )
        return RenderedMail(subject=" ".join(subject.split()), text=text + "\n", html=html + "\n")


def build_message(sender: str, to: str, mail: RenderedMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = mail.subject
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


@dataclass(frozen=True)
class ConsoleMailer:
    """Prints each email to standard output (development): links are visible, nothing is sent.
    It writes to stdout directly, not through logging, so tokens never reach the log pipeline."""

    renderer: MailRenderer
    sender: str

    async def send(self, to: str, template: str, context: Mapping[str, object]) -> None:
        mail = self.renderer.render(template, context)
        sys.stdout.write(
            f"\n----- email (console mailer) -----\nFrom: {self.sender}\nTo: {to}\n"
            f"Subject: {mail.subject}\n\n{mail.text}----- end of email -----\n"
        )
        sys.stdout.flush()


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    security: Literal["none", "starttls", "tls"]
    timeout: float
    ca_file: str | None = None
    connect_timeout: float = 5.0


@dataclass(frozen=True)
class SmtpMailer:
    renderer: MailRenderer
    sender: str
    config: SmtpConfig

    async def send(self, to: str, template: str, context: Mapping[str, object]) -> None:
        import aiosmtplib  # with the first email (see the docstring)

        message = build_message(self.sender, to, self.renderer.render(template, context))
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=config.timeout,
            cert_bundle=config.ca_file,
        )
        # A server that accepts connections and never greets is given up on soon.
        async with asyncio.timeout(config.connect_timeout):
            await client.connect(timeout=config.connect_timeout)
        try:
            await client.send_message(message)
        finally:
            client.close()
