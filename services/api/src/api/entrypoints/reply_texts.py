"""Every sentence of the reply page (issue 18) in the languages the e-mails are written in (en, fr, es): the page
speaks the language of the e-mail whose link opened it, carried in the link. One table, one entry per language with
the same keys (a unit test checks it); a language not in it reads English.

Values are `str.format` templates; what fills them is escaped by the page, not here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from babel.dates import format_date

from api.domain import replies
from api.domain.replies import Answer

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "organisation": "International Organization for Migration · International Dialogue on Migration",
        "title": "Your travel to the workshop",
        "expired.title": "This link has expired",
        "expired.text": "Links in our e-mails are valid for a limited time. Please write to the workshop's logistics"
        " team, quoting the reference in the e-mail, or answer the newest e-mail you received from us.",
        "tampered.title": "This link is not valid",
        "tampered.text": "The address is incomplete or was changed. Please open the link exactly as it is in the"
        " e-mail (copy the whole address if it is split over two lines).",
        "no_ticket": "Your ticket is not issued yet; you may still tell us now what you need.",
        "ticket": "Your ticket: booking reference {booking}.",
        "form.legend": "Your answer",
        "form.confirm": "I confirm this travel.",
        "form.change": "I ask for a change:",
        "form.airport": "Another airport to fly from (three-letter code)",
        "form.arrive": "Arrive by",
        "form.leave": "Fly home on",
        "form.decided": "A change is priced and decided by the workshop's staff; you will be told their decision by"
        " e-mail.",
        "form.send": "Send",
        "thanks": "Thank you",
        "again": "We have your answer already",
        "answered": "{lead}: on {when} you {what}. {state}",
        "state.pending": "It is being recorded.",
        "state.applied": "It is recorded.",
        "state.applied_change": "It is recorded: the change is being priced for the staff to decide; you will be told"
        " by e-mail.",
        "state.refused": "It could not be taken as it is: {reason}. You may correct it below.",
        "no_reason": "no reason given",
        "confirmed": "confirmed the travel",
        "asked": "asked {wishes}",
        "wish.airport": "to fly from {airport}",
        "wish.arrive": "to arrive by {day}",
        "wish.leave": "to fly home on {day}",
        "and": " and ",
        "problem.choose": "Choose whether you confirm this travel or ask for a change.",
        "problem.airport": '"{typed}" is not an airport code: give its three letters (e.g. ACC).',
        "problem.arrive_on": 'The arrival day "{typed}" is not a date (YYYY-MM-DD).',
        "problem.leave_on": 'The departure day "{typed}" is not a date (YYYY-MM-DD).',
        "problem.order": "The day you fly home is before the day you arrive.",
        "problem.nothing": "To ask for a change, give another airport, other dates, or both.",
    },
    "fr": {
        "organisation": "Organisation internationale pour les migrations · Dialogue international sur la migration",
        "title": "Votre voyage pour l'atelier",
        "expired.title": "Ce lien a expiré",
        "expired.text": "Les liens de nos courriels sont valables pour une durée limitée. Veuillez écrire à l'équipe"
        " logistique de l'atelier en citant la référence du courriel, ou répondre au dernier courriel que vous avez"
        " reçu de nous.",
        "tampered.title": "Ce lien n'est pas valide",
        "tampered.text": "L'adresse est incomplète ou a été modifiée. Veuillez ouvrir le lien tel qu'il figure dans le"
        " courriel (copiez l'adresse entière si elle est coupée sur deux lignes).",
        "no_ticket": "Votre billet n'est pas encore émis ; vous pouvez déjà nous dire ce dont vous avez besoin.",
        "ticket": "Votre billet : référence de réservation {booking}.",
        "form.legend": "Votre réponse",
        "form.confirm": "Je confirme ce voyage.",
        "form.change": "Je demande une modification :",
        "form.airport": "Un autre aéroport de départ (code à trois lettres)",
        "form.arrive": "Arriver au plus tard le",
        "form.leave": "Rentrer le",
        "form.decided": "Une modification est chiffrée puis décidée par l'équipe de l'atelier ; sa décision vous sera"
        " communiquée par courriel.",
        "form.send": "Envoyer",
        "thanks": "Merci",
        "again": "Nous avons déjà votre réponse",
        "answered": "{lead} : le {when}, vous avez {what}. {state}",
        "state.pending": "Elle est en cours d'enregistrement.",
        "state.applied": "Elle est enregistrée.",
        "state.applied_change": "Elle est enregistrée : la modification est en cours de chiffrage pour décision de"
        " l'équipe ; vous serez informé(e) par courriel.",
        "state.refused": "Elle n'a pas pu être prise en compte telle quelle : {reason}. Vous pouvez la corriger"
        " ci-dessous.",
        "no_reason": "sans motif indiqué",
        "confirmed": "confirmé le voyage",
        "asked": "demandé {wishes}",
        "wish.airport": "à partir de {airport}",
        "wish.arrive": "à arriver au plus tard le {day}",
        "wish.leave": "à rentrer le {day}",
        "and": " et ",
        "problem.choose": "Indiquez si vous confirmez ce voyage ou demandez une modification.",
        "problem.airport": "« {typed} » n'est pas un code d'aéroport : donnez ses trois lettres (par ex. ACC).",
        "problem.arrive_on": "Le jour d'arrivée « {typed} » n'est pas une date (AAAA-MM-JJ).",
        "problem.leave_on": "Le jour de retour « {typed} » n'est pas une date (AAAA-MM-JJ).",
        "problem.order": "Le jour du retour précède le jour d'arrivée.",
        "problem.nothing": "Pour demander une modification, indiquez un autre aéroport, d'autres dates, ou les deux.",
    },
    "es": {
        "organisation": "Organización Internacional para las Migraciones · Diálogo Internacional sobre la Migración",
        "title": "Su viaje al taller",
        "expired.title": "Este enlace ha caducado",
        "expired.text": "Los enlaces de nuestros correos son válidos por un tiempo limitado. Escriba al equipo de"
        " logística del taller citando la referencia del correo, o responda al correo más reciente que haya recibido"
        " de nosotros.",
        "tampered.title": "Este enlace no es válido",
        "tampered.text": "La dirección está incompleta o fue modificada. Abra el enlace exactamente como figura en el"
        " correo (copie la dirección completa si está cortada en dos líneas).",
        "no_ticket": "Su billete aún no se ha emitido; puede indicarnos ya lo que necesita.",
        "ticket": "Su billete: referencia de reserva {booking}.",
        "form.legend": "Su respuesta",
        "form.confirm": "Confirmo este viaje.",
        "form.change": "Pido un cambio:",
        "form.airport": "Otro aeropuerto de salida (código de tres letras)",
        "form.arrive": "Llegar a más tardar el",
        "form.leave": "Regresar el",
        "form.decided": "El personal del taller cotiza y decide cada cambio; se le comunicará su decisión por correo.",
        "form.send": "Enviar",
        "thanks": "Gracias",
        "again": "Ya tenemos su respuesta",
        "answered": "{lead}: el {when}, usted {what}. {state}",
        "state.pending": "Se está registrando.",
        "state.applied": "Está registrada.",
        "state.applied_change": "Está registrada: se está cotizando el cambio para que el personal decida; se le"
        " informará por correo.",
        "state.refused": "No pudo aceptarse tal como está: {reason}. Puede corregirla a continuación.",
        "no_reason": "sin motivo indicado",
        "confirmed": "confirmó el viaje",
        "asked": "pidió {wishes}",
        "wish.airport": "salir desde {airport}",
        "wish.arrive": "llegar a más tardar el {day}",
        "wish.leave": "regresar el {day}",
        "and": " y ",
        "problem.choose": "Indique si confirma este viaje o pide un cambio.",
        "problem.airport": "«{typed}» no es un código de aeropuerto: indique sus tres letras (p. ej. ACC).",
        "problem.arrive_on": "El día de llegada «{typed}» no es una fecha (AAAA-MM-DD).",
        "problem.leave_on": "El día de regreso «{typed}» no es una fecha (AAAA-MM-DD).",
        "problem.order": "El día de regreso es anterior al día de llegada.",
        "problem.nothing": "Para pedir un cambio, indique otro aeropuerto, otras fechas, o ambos.",
    },
}
ENGLISH = "en"


def language(wanted: str | None) -> str:
    """`wanted` if the page has its texts, else English."""
    return wanted if wanted in TEXTS else ENGLISH


def from_header(accept_language: str | None) -> str:
    """The page's language for a link that cannot be read (so carries none): the browser's first choice the page
    speaks (Accept-Language, by weight), else English."""
    choices = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            q = float(weight) if weight else 1.0
        except ValueError:
            q = 0.0
        if q > 0 and (primary := re.split(r"[-_]", tag.strip().lower())[0]) in TEXTS:
            choices.append((-q, position, primary))
    return min(choices)[2] if choices else ENGLISH


def text(lang: str, key: str, **values: object) -> str:
    return TEXTS[language(lang)][key].format(**values)


def day(lang: str, which: date) -> str:
    """A day as the language writes it in a sentence: 15 July 2006, 15 juillet 2006, 15 de julio de 2006."""
    return format_date(which, "d MMMM y" if language(lang) == "en" else "long", locale=language(lang))


def when(lang: str, at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{day(lang, at.date())}, {at:%H:%M} UTC"


def problem(lang: str, refused: replies.NotAnAnswer) -> str:
    return text(lang, f"problem.{refused.problem}", **refused.values)


def describe(lang: str, answer: Answer) -> str:
    """The answer in a sentence's predicate: `confirmed the travel`, `asked to fly from LOS and to fly home on ...`."""
    if answer.answer == replies.CONFIRMED:
        return text(lang, "confirmed")
    wishes = []
    if answer.home_airport:
        wishes.append(text(lang, "wish.airport", airport=answer.home_airport))
    if answer.arrive_on:
        wishes.append(text(lang, "wish.arrive", day=day(lang, answer.arrive_on)))
    if answer.leave_on:
        wishes.append(text(lang, "wish.leave", day=day(lang, answer.leave_on)))
    return text(lang, "asked", wishes=text(lang, "and").join(wishes))
