"""What stands around a name in Norwegian staff text: the patterns after (and before) a word that say person.

Used by names.py: an age or a class right after a word, where the person works, a relative, "sin", a
nickname in quotes, an apposition, and what is said of a person after "er"/"ble".
"""

from __future__ import annotations

import re

# Right after a name: its age ("Ola (14)", "Konrad,15,"), its class ("Tor fra 9C", "mai på 10. trinn"), or
# the possessive "sin" ("Kari sin bror").
AGE_AFTER = re.compile(
    r"\s*\((?:\d{1,2}(?:\s*år)?|(?:(?:født|fødd|f\.)\s*)?(?:19|20)\d{2})\)|\s*,\s*\d{1,2}\s*(?:år)?\s*,"
)
# "Babyface, ein kar på rundt 18": a name and then what kind of person it is.
PERSON_AFTER = re.compile(r", (?:ein|en|ei|eit) (?:\w+ )?(?:kar|gut|gutt|fyr|jente|dame|mann|kvinne|elev|type)\b")
CLASS_AFTER = re.compile(
    r"\s+(?:i|på|fra|frå)\s+(?:\d{1,2}\s?[A-Za-z]\b|\d{1,2}\.\s?(?:trinn|klasse|steg)|[1-3][A-Z]{2,4}\b|"
    r"[GJgjUu]-?\d{2}(?:-laget)?\b)"
)
# "Siv på helsestasjonen tar samtalen", "Rune frå barnevernet kjem": a name, where they work, and a verb.
WORKPLACE_AFTER = re.compile(
    r" (?:på|fra|frå|hos|ved|i (?=resepsjonen|kantina|kantinen|administrasjonen|ledelsen|ekspedisjonen|skranken|"
    r"vakta))(?P<rest>(?: [\wæøåÆØÅ-]+| ?[\wæøåÆØÅ-]+){1,6})"
)
# After "er"/"ble": what is said of a person ("Dag er 15", "Storm ble tatt", "Ask var svært utagerende").
PERSON_PREDICATE = re.compile(
    r" (?:(?:svært|veldig|heilt|helt|ganske|litt|så|ikke|ikkje|også|òg) )?"
    r"(?:\d{1,2}\b|født|fødd|tatt|teken|slått|slegen|truet|truga|mobbet|mobba|ranet|rana|utsatt|bekymret|bekymra|redd|lei|sint|trist|borte|savnet|sakna|ruset|"
    r"rusa|full|filmet|filma|arrestert|pågrepet|anmeldt|anmeld|sett|utagerende|utestengt|plaget|plaga|mishandlet|"
    r"skadet|skada|sjuk|syk|innlagt|flink|snill|ny|alene|åleine|aleine)\b"
)
# Verbs whose subject is rarely a person: "Tala frå Ungdata viser".
THING_VERBS = frozenset("viser syner tyder gjelder gjeld handler omfatter".split())  # vocabulary
# Prepositions of location (folded): an ambiguous name right after one is a place ("Bydelsmødre i Fjell").
LOCATION_PREPOSITIONS = frozenset(("i", "pa", "ved"))
POSSESSIVE_AFTER = re.compile(r" (?:sin|si|sitt|sine) ")
# Punctuation between a cue and a word that parts them: "kontakt med Barnehuset? Innledning ved ...".
BREAK = re.compile(r"[.!?;:\n()«»\"]")
# "17. mai", "3. juni": a day of the month before the word.
AFTER_NUMBER = re.compile(r"\d\.?\s+$")
# "«Kniven»", "«Mafia-Mats»": one quoted capitalised word, a nickname when the words around it say so.
NICKNAME = re.compile(r"[«\"“]([A-ZÆØÅ][\wæøå]*(?:-[\wæøåÆØÅ]+)*)[»\"”]")
APPOSITION_END = re.compile(r"\s*(?:,|\s+(?:som|og)\b)")
# "Mai og søsteren hennes": a name and a relative of theirs.
RELATIVE_AFTER = re.compile(
    r" og (?:søsteren|søstera|systera|broren|bror|mora|moren|faren|kompisen|venninna|venninnen|kjæresten)\b"
)
