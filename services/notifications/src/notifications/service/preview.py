"""Preview: the e-mail the worker would send for a delegate and kind, rendered from the latest facts, never sent."""

from __future__ import annotations

from notifications.domain.mail import KINDS
from notifications.service.composing import Composed, compose
from notifications.service.ports import EmailFacts, Renderer


class CannotPreview(Exception):
    """The request names something that does not exist (a kind or a language)."""


class NothingToPreview(Exception):
    """Notifications holds no facts to build this e-mail from."""


async def preview_email(
    facts: EmailFacts, renderer: Renderer, sender: str, delegate_ref: str, kind: str, language: str | None
) -> Composed:
    if kind not in KINDS:
        raise CannotPreview(f'"{kind}" is not a kind of e-mail; the kinds are: {", ".join(KINDS)}.')
    if language is not None and language not in renderer.languages():
        raise CannotPreview(
            f'There are no templates in language "{language}"; the languages are: {", ".join(renderer.languages())}.'
        )
    if not await facts.has_contact(delegate_ref):
        raise NothingToPreview(f"Notifications knows no delegate {delegate_ref}: no registration of theirs reached it.")
    email = await facts.latest(delegate_ref, kind)
    if email is None:
        raise NothingToPreview(
            f'Notifications holds no facts for a "{kind}" e-mail to delegate {delegate_ref}: no such decision or'
            " ticket about them has reached it."
        )
    if email["workshop"] is None:
        raise NothingToPreview(f"Notifications holds no facts about workshop {email['workshop_id']} yet.")
    return compose(email, renderer, sender, language)
