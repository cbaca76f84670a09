"""Personal data with a shape: numbers, addresses, handles, registration plates, birth dates, classes and ages."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import phonenumbers
from stdnum.no import fodselsnummer, kontonr

from bot.core.text import fold
from handlers.privacy.lexicon import NOT_PEOPLE


@dataclass(frozen=True)
class Finding:
    """A stretch of text that is (or may be) personal data, and what kind."""

    kind: str
    start: int
    end: int


# Words for one young person (bokmål and nynorsk): "gutt på 14", "jenta (15)".
PERSON_NOUNS = (
    r"gutt|gutten|gut|guten|jente|jenta|jenten|elev|eleven|ungdom|ungdommen|sønn|sønnen|son|sonen|datter|datteren|"
    r"dotter|dottera|barn|barnet|bror|broren|søster|søsteren|syster|systera|kompis|kompisen|venn|vennen|venninne|"
    r"venninna"
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_ELEVEN_DIGITS = re.compile(r"(?<![\d.])(\d{6})[ .-]?(\d{5})(?![\d])")
_ACCOUNT = re.compile(r"(?<![\d.])(\d{4})[ .](\d{2})[ .](\d{5})(?!\d)")
_STREET_SUFFIX = (
    r"gata|gate|gaten|veien|vegen|vei|veg|stien|sti|stigen|plassen|plass|allé|alle|bakken|lia|lien|svingen|tunet|"
    r"ringen|kroken|haugen|torget|brygga|bryggen|kaia|løkka|jordet|åsen|grenda|myra|skogen|dalen|tun|vangen|"
    r"enga|marka|lykkja|hagen|kleiva|bakkane|vegen|leiret|leira|løkken|stredet|smuget|terrassen|veita|brinken|"
    r"toppen|heia|lunden|kaien|vollen|gården|tunet|høgda|høyden|kollen|jordet"
)
# "Storgata 12", "Kongens gate 5", "Fjellvegen 7 B"; a letter after the number only when it stands alone, so
# "Storgata 12 har" keeps its space and "har".
_STREET_NAME = (
    r"(?:(?:Nedre|Øvre|Søndre|Nordre|Store|Lille|Gamle|Nye|Vestre|Østre|Indre|Ytre|Sankt|St\.) )?"
    rf"(?:[A-ZÆØÅ][\wæøå]*(?:{_STREET_SUFFIX})|"
    r"(?:[A-ZÆØÅ][\wæøå.]+ )+(?:gate|gata|vei|veg|vegen|veien|plass|allé|alle))"
)
_NUMBER = r"\s+\d{1,3}(?:[A-Ha-h]|\s[A-H])?(?![\w])"
_STREET = re.compile(rf"\b{_STREET_NAME}{_NUMBER}")
# In lower case only after "bor i"/"adresse": "bor i storgata 12".
_STREET_LOWER = re.compile(
    rf"(?i:\b(?:bor|bur|budde|bodde|adresse|adressa|adressen|adresse er)\s+(?:i|på|:)?\s*)"
    rf"(?P<street>(?i:[\wæøå]+(?:{_STREET_SUFFIX})|[\wæøå]+ (?:gate|gata|vei|veg)){_NUMBER})"
)
_POSTCODE = re.compile(r"\b(\d{4})\s+([A-ZÆØÅ][a-zæøå]+)")
_CLASS = re.compile(r"(?<![\w.])(?:klasse\s+)?([1-9]|10)\s?([A-Ha-h])(?![\w])(?!\s?-?\s?(?:trinn|klasse))")
_SCHOOL_AFTER = re.compile(
    r"\s+(?:på|ved|i)\s+(?:[A-ZÆØÅ][\wæøå-]*\s+){1,2}(?i:skole|skule|ungdomsskole|ungdomsskule|barneskole|"
    r"barneskule|vgs|videregående(?:\s+skole)?|vidaregåande(?:\s+skule)?)\b"
)
# Upper secondary class codes: year 1-3 and the programme's letters ("1STC", "2ELA", "3STB", "vg2 2hsa").
_UPPER_SECONDARY = re.compile(r"(?<![\w-])[1-3](?:[A-ZÆØÅ]{2,4}|[a-zæøå]{2,4})(?![\w-])")
# Letters that are no class: sizes, drugs and formats staff write with a digit in front.
# Words before a number and a letter that make it no class: "kapittel 9 A", "§ 9 A-4", "rom 1B".
_NOT_CLASS_BEFORE = re.compile(
    r"(?i:(?:kapittel|kap\.|§|punkt|pkt\.?|rom|sal|møterom|side|del|vedlegg|tabell|figur|nr\.?|versjon|fase|steg|"
    r"trinn|sak|paragraf|ledd|bokstav)\s*)$"
)
_NOT_CLASSES = frozenset(
    "1gb 2gb 3gb 1tb 2tb 2cb 3mmc 3cmc 2fa 3d 1kl 2kl 3kl 1stk 2stk 3stk 1mnd 2mnd 3mnd 1uke 2uke 3uke 1dag 2dag "
    "3dag 1ste 2dre 3dje 1ne 2ne 3ne 1ng 2ng 2g 3g 4g 5g 3d 4h 4d".split()  # vocabulary
)
_AGE = (
    rf"(?i:(?:{PERSON_NOUNS})\s+(?:på\s+)?(?<!\d)\d{{1,2}}(?![\d-]|\.\s?(?:trinn|klasse|steg|årstrinn))(?:\s*år)?|\(\d{{1,2}}\)|(?<![\d,.-])\d{{1,2}}"
    r"(?:\s*år(?:\s+gammal|\s+gammel)?|-åring(?:en)?|-åringen|-årig)"
    # "hun er 14 og bor i Sørvik"
    r"|(?:(?<=han er )|(?<=hun er )|(?<=\bho er )|(?<=\bhan e )|(?<=\bho e ))\d{1,2}(?![\d,.]))"
    # Not an age group: "under 18 år", "15-åringane", "over 16 år", "mellom 14 og 16 år", "14–16 år".
    r"(?<!\bunder \d\d år)(?<!\bover \d\d år)(?<!\bunder \d år)(?<!\bog \d\d år)(?<![–-]\d\d år)"
    r"(?<![–-]\d\d-åring)(?![\wæøå])"
)
# The place must be capitalised (a proper noun): "15 år i parken" is no place; big cities narrow nothing down.
BIG_PLACES = frozenset(  # vocabulary
    "oslo bergen trondheim stavanger drammen fredrikstad kristiansand sandnes tromsø sarpsborg skien bodø ålesund "
    "sandefjord larvik tønsberg arendal haugesund porsgrunn moss hamar lillestrøm halden gjøvik molde kongsberg "
    "harstad lillehammer norge noreg".split()  # vocabulary
)
_AGE_PLACE = re.compile(rf"{_AGE}[^.!?\n]{{0,15}}?\b(?i:fra|frå|i|på|ved|bosatt i|busett i)\s+[A-ZÆØÅ][\wæøå-]+")
_PLACE_AGE = re.compile(rf"\b(?i:fra|frå|i|på)\s+[A-ZÆØÅ][\wæøå-]+[^.!?\n]{{0,15}}?{_AGE}")
# "gutt på 14", "jenta 15 år" (but "jenta på 9. trinn" is a school year, not an age).
# (Without "elev", "ungdom" and "barn", which also name groups: "barn på 12 år", "ungdom 3 ganger i uka".)
_ONE_PERSON = "|".join(w for w in PERSON_NOUNS.split("|") if w not in ("elev", "ungdom", "barn"))
_PERSON_AGE = re.compile(
    rf"\b(?:{_ONE_PERSON})\s+(?:på\s+(?<!\d)\d{{1,2}}(?![\d,.-])(?:\s*år)?|(?<!\d)\d{{1,2}}\s*år)(?![\wæøå])"
    r"(?!\s+(?:og|eller)\s+(?:eldre|yngre|over|under|oppover))",
    re.IGNORECASE,
)

# Social-media handles: "@snusbaron06", and after a cue ("kaller seg mørke.ulv", "brukernavnet er x_lina_x").
_AT_HANDLE = re.compile(r"(?<![\w@.])@[\w.æøåÆØÅ-]{2,40}")
_HANDLE_CUE = re.compile(
    r"\b(?i:kaller\s+seg|kallar\s+seg|kalla\s+seg|brukernavn(?:et)?|brukarnamn(?:et)?|profil(?:en)?|konto(?:en)?|"
    r"(?:snap|snapchat|insta|instagram|tiktok|discord|telegram|x|twitter|kik)-?(?:navn(?:et)?|namn(?:et)?|"
    r"bruker(?:en)?|brukar(?:en)?|profil(?:en)?|konto(?:en)?)|nick(?:name)?|gamertag(?:gen)?|under\s+navnet|under\s+namnet)"
    r"\b(?:\s+(?:hans|hennes|hennar|til\s+\w+|er|var|hans\s+er|hennes\s+er|hennar\s+er|:|på\s+\w+))*"
    r"(?:\s*[:=]\s*|\s+)"
    r"(?:[«\"'](?P<quoted>[^»\"'\n]{2,40})[»\"']|(?P<handle>[\w][\w.æøåÆØÅ#-]{1,38}[\w]))"
)
# A user name by its shape: an underscore, a dot between words, or letters then digits ("kingkong2009").
_HANDLE_SHAPE = re.compile(
    r"(?<![\w@./#])(?:[\wæøå.]*_[\wæøå_.]*|[a-zæøå]{2,}(?:\.[a-zæøå\d]+)*\.[a-zæøå][a-zæøå\d]*|"
    r"[a-zæøå][\wæøå.]*[a-zæøå]\d{2,4}|[\wæøå.]+#\d{2,6}|"
    # camelCase only from a small letter ("xXDødsengelXx"): "UngInfo", "KoRus" and "SaLTo" are organisations.
    r"(?=[A-Za-zæøåÆØÅ\d]{7,})[a-zæøå][A-Za-zæøåÆØÅ]*[a-zæøå][A-ZÆØÅ][\wæøåÆØÅ]*)(?![\w@/#])"
)
_FILE_TYPES = frozenset("pdf doc docx xls xlsx ppt pptx odt ods txt csv png jpg jpeg gif zip mp4 mov".split())
# Dotted abbreviations that are no user names.
_ABBREVIATIONS = frozenset(
    "f.eks bl.a m.m m.fl t.o.m o.l e.l p.t ev.t evt d.v.s dvs mht pga osv ca kl nr jf jfr ifm mtp tlf "
    "f.o.m t.d m.a m.v o.a reg.nr tlf.nr org.nr ref.nr sak.nr saks.nr konto.nr kto.nr mob.nr".split()  # vocabulary
)
# The last part of a web address, and words written with a capital inside that are no user names.
_NOT_HANDLE_TLDS = frozenset("com net org info kommune no se dk uk eu io".split())  # vocabulary
_HANDLE_SHAPE_EXCEPTIONS = frozenset(
    "covid19 mp3 mp4 h264 iphone ipad youtube tiktok facebook linkedin whatsapp powerpoint onedrive sharepoint "
    "playstation mcdonalds".split()  # vocabulary
)

# Norwegian registration plates: two letters and five digits ("DN 43210", "EL12345"); after a cue any
# letters-and-digits plate ("reg.nr. ab 12 345").
_PLATE = re.compile(r"(?<![\w-])[A-Z]{2}[\s-]?\d{2}\s?\d{3}(?![\w-])")
_PLATE_CUE = re.compile(
    r"(?i:reg\.?\s?nr\.?|regnr\.?|registreringsnummer(?:et)?|regnummer(?:et)?|kjennemerke(?:t)?|skilt(?:et)?|"
    r"bilnummer(?:et)?|nummerskilt(?:et)?|skiltnummer(?:et)?|skiltnr\.?|moped(?:en)?|scooter(?:en)?|sparkesykkel(?:en)?|motorsykkel(?:en)?|"
    r"crosser(?:en)?|ATV(?:-en)?)(?:\s+(?:nr\.?|nummer|med\s+skilt|med\s+nummer|med\s+ID|var|er))?\s*[:.]?\s*"
    r"(?P<plate>[A-Za-z]{1,3}[\s-]?\d{2,3}\s?\d{0,3}|\d{3}-\d{3})(?![\w])"
)

# Rental scooters and bikes carry an id: "el-scooter med ID TIER-50713".
_VEHICLE_ID = re.compile(r"(?i:\bID(?:-nr\.?|-nummer)?\s*:?\s*)(?P<id>[A-Z0-9]{2,6}-?\d{3,6})\b")
_MONTHS = (
    r"jan(?:uar)?|feb(?:ruar)?|mars|mar|apr(?:il)?|mai|juni?|juli?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"okt(?:ober)?|nov(?:ember)?|des(?:ember)?"
)
_DATE = (
    rf"\d{{1,2}}\.\s?\d{{1,2}}\.\s?(?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.?\s+(?i:{_MONTHS})\.?\s+\d{{4}}|"
    r"\d{1,2}/\d{1,2}[-/.](?:\d{4}|\d{2})"
)
# A birth date tied to a cue: "født 14.02.2011", "fødd 3. mars 2010"; a birth year only where it is one
# person's ("er født i 2011", "(f. 2010)"), not a year group's ("ungdom født 2010 og 2011").
_BIRTH = re.compile(
    r"\b(?i:født|fødd|fødte|fødde|f\.|fødselsdato(?:en)?|fødselsdag(?:en)?|bursdag(?:en)?|fdato|f\.dato|"
    r"fødselsår(?:et)?)(?:\s+(?:hans|hennes|hennar|er|den|var|:))*\s*:?\s*(?:" + _DATE + ")"
    r"|\b(?i:fyller|fyllar)\s+\d{1,2}\s*(?:år\s+)?(?:den|på)?\s*(?:" + _DATE + r"|\d{1,2}\.\s?(?i:" + _MONTHS + r"))"
    r"|\b(?i:f\.?\s?dato|fødselsdato)\s*:?\s*\d{6}\b"
    r"|\b(?i:fødselsår(?:et)?)\s*:?\s*(?:19|20)\d{2}\b"
    # "Amadou (2008)": a year in parentheses right after a name is a birth year.
    r"|(?<=[a-zæøå] )\((?:19|20)\d{2}\)"
    r"|\b(?:199\d|200\d|201[0-6])-(?i:modell|modellen|kull)\b"
)
# "født 2010": a birth year, unless it is a year group's ("ungdom født 2010 og 2011", "alle fødd i 2012").
_BIRTH_YEAR = re.compile(
    r"\b(?i:født|fødd|fødte|fødde|f\.)\s+(?:i\s+)?(?P<years>(?:19|20)\d{2}(?:\s*(?:og|,|eller)\s*(?:19|20)\d{2})*)\b"
)
_YEAR_GROUP = re.compile(
    r"(?i:\b(?:ungdom|ungdommer|unge|elever|elevar|barn|born|alle|kull|kullet|årskull|årskullet|de|dei|som er)"
    r"(?:\s+\w+)?\s*)$"
)
_DATE_ONLY = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_AMOUNT_AFTER = re.compile(
    r"\s*(?:kr\b|kroner|NOK|,-|visninger|elever|innbyggere|innbyggjarar|personer)", re.IGNORECASE
)
# Help lines and short numbers that are fine to mention.
_SAFE_NUMBERS = {"110", "112", "113", "116111", "116123", "02800", "80030000", "22400040"}  # 22 40 00 40: Kirkens SOS


def emails(text: str) -> list[Finding]:
    """E-mail addresses."""
    return _all(_EMAIL, text, "email")


def national_ids(text: str) -> list[Finding]:
    """Fødselsnummer and D-nummer: valid ones, and any 6+5 run that starts with a date (new ones may not check)."""
    found = []
    for match in _ELEVEN_DIGITS.finditer(text):
        digits = match.group(1) + match.group(2)
        if fodselsnummer.is_valid(digits) or _looks_like_birth_date(match.group(1)):
            found.append(Finding("national_id", match.start(), match.end()))
        elif kontonr.is_valid(digits):
            found.append(Finding("account", match.start(), match.end()))
    return found


def accounts(text: str) -> list[Finding]:
    """Bank account numbers written in groups (11 digits in one run are found with the national ids)."""
    return _all(_ACCOUNT, text, "account")


def phones(text: str, taken: list[Finding]) -> list[Finding]:
    """Telephone numbers, except help lines and service numbers."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "NO", leniency=phonenumbers.Leniency.VALID):
        digits = re.sub(r"\D", "", match.raw_string)
        national = digits.removeprefix("0047").removeprefix("47") if len(digits) > 8 else digits
        # 80x/81x/82x are service numbers (help lines, businesses), never a person's.
        if digits in _SAFE_NUMBERS or national[:2] in ("80", "81", "82") or overlaps(match.start, match.end, taken):
            continue
        if _DATE_ONLY.fullmatch(match.raw_string) or _AMOUNT_AFTER.match(text, match.end):
            continue  # "23.04.2025" and "35 000 000 kroner" are no phone numbers
        found.append(Finding("phone", match.start, match.end))
    return found


def addresses(text: str) -> list[Finding]:
    """Street addresses with a number, and post codes with a place."""
    found = _all(_STREET, text, "address")
    found += [Finding("address", m.start("street"), m.end("street")) for m in _STREET_LOWER.finditer(text)]
    for match in _POSTCODE.finditer(text):
        number = int(match.group(1))
        # "i 2025 Oslo..." is a year; post codes here are rarely in 1950-2099 without an address before them.
        # ("2050 Jessheim" after a comma, in a list of contact details, is one.)
        before = text[max(0, match.start() - 30) : match.start()]
        if 1950 <= number <= 2099 and not re.search(r"(?:\d\s*,?|[\w.]@[\w.]+,|,)\s*$", before):
            continue
        if before.endswith(("Rema ", "REMA ")):
            continue  # the shop chain «Rema 1000»
        found.append(Finding("address", match.start(), match.end()))
    return found


def classes(text: str) -> list[Finding]:
    """Class codes ("7B", "klasse 10 C", upper secondary "1STC", "2ela"), with the school when one follows."""
    found = [
        Finding("school_class", m.start(), m.end())
        for m in _CLASS.finditer(text)
        if m.group().replace(" ", "").lower() not in _NOT_CLASSES
        and not _NOT_CLASS_BEFORE.search(text, max(0, m.start() - 20), m.start())
    ]
    for match in _UPPER_SECONDARY.finditer(text):
        code = match.group()
        lower = code.islower() or code[1:].islower()
        if code.lower() in _NOT_CLASSES or (lower and not _class_cue_before(text, match.start())):
            continue
        found.append(Finding("school_class", match.start(), match.end()))
    # "7B på Haga skole": the class and its school together point at a few people.
    return [Finding(f.kind, f.start, m.end() if (m := _SCHOOL_AFTER.match(text, f.end)) else f.end) for f in found]


def ages(text: str) -> list[Finding]:
    """An age with a place or with a word for a young person ("gutt på 14 fra Nordli", "jente på 12 år")."""
    with_place = [*_AGE_PLACE.finditer(text), *_PLACE_AGE.finditer(text)]
    found = [
        Finding("age_place", m.start(), m.end())
        for m in with_place
        if not any(
            w.lower() in BIG_PLACES or fold(w) in NOT_PEOPLE for w in re.findall(r"[A-ZÆØÅ][\wæøå-]+", m.group())
        )
    ]
    found += _all(_PERSON_AGE, text, "age_place")
    # An adult's age narrows nothing down here ("Han er 45 år og bor i Sørvik").
    return [f for f in found if all(int(n) <= 25 for n in re.findall(r"\d{1,2}(?=\D|$)", text[f.start : f.end])[:1])]


def handles(text: str, taken: list[Finding]) -> list[Finding]:
    """Social-media handles and user names."""
    found = [f for f in _all(_AT_HANDLE, text, "handle") if not overlaps(f.start, f.end, taken)]
    for match in _HANDLE_CUE.finditer(text):
        group = "quoted" if match.group("quoted") else "handle"
        # After a cue, only what looks like a user name: "brukernavnet hans er mørke.ulv", not "... er privat".
        if group == "quoted" or _looks_like_handle(match.group("handle")):
            found.append(Finding("handle", match.start(group), match.end(group)))
    for match in _HANDLE_SHAPE.finditer(text):
        value = match.group()
        if value.strip("_") == "" or value.lower() in _HANDLE_SHAPE_EXCEPTIONS:
            continue
        if value.rsplit(".", 1)[-1].lower() in _FILE_TYPES or not any(c.islower() for c in value):
            continue  # "referat_slt_mars.docx", "SLT_2025"
        if "." in value and (
            value.rsplit(".", 1)[1].lower() in _NOT_HANDLE_TLDS or value.lower().rstrip(".") in _ABBREVIATIONS
        ):
            continue
        if re.fullmatch(r"[a-zæøå]{1,2}(?:\.[a-zæøå]{1,3})+", value):
            continue  # short dotted abbreviations ("a.s", "bl.a")
        if not overlaps(match.start(), match.end(), taken):
            found.append(Finding("handle", match.start(), match.end()))
    return found


def _looks_like_handle(value: str) -> bool:
    """A user name, not an ordinary word: a digit, an underscore, a dot, a # or a capital inside it."""
    return bool(re.search(r"[\d_.#]", value) or re.search(r"[a-zæøå][A-ZÆØÅ]", value))


def plates(text: str) -> list[Finding]:
    """Vehicle registration numbers."""
    found = _all(_PLATE, text, "vehicle")
    found += [Finding("vehicle", m.start("plate"), m.end("plate")) for m in _PLATE_CUE.finditer(text)]
    found += [Finding("vehicle", m.start("id"), m.end("id")) for m in _VEHICLE_ID.finditer(text)]
    return found


def birth_dates(text: str) -> list[Finding]:
    """Birth dates and birth years, with the word that makes them one ("født 14.02.2011")."""
    found = _all(_BIRTH, text, "birth_date")
    for match in _BIRTH_YEAR.finditer(text):
        if not _YEAR_GROUP.search(text, max(0, match.start() - 40), match.start()):
            found.append(Finding("birth_date", match.start(), match.end()))
    return found


_CLASS_CUE = re.compile(r"(?i:\b(?:går|gå|i|på|klasse|klassen|elev|elevar|elever|vg[1-3])\s+)$")


def _class_cue_before(text: str, position: int) -> bool:
    return bool(_CLASS_CUE.search(text, max(0, position - 20), position))


def _all(pattern: re.Pattern[str], text: str, kind: str) -> list[Finding]:
    return [Finding(kind, m.start(), m.end()) for m in pattern.finditer(text)]


def _looks_like_birth_date(first_six: str) -> bool:
    day, month, year = int(first_six[:2]), int(first_six[2:4]), int(first_six[4:])
    day = day - 40 if day > 40 else day  # D-nummer adds 40 to the day
    month = month - 40 if month > 40 else month  # synthetic numbers add 40/80 to the month
    month = month - 80 if month > 80 else month
    for century in (1900, 2000):
        try:
            dt.date(century + year, month, day)
            return True
        except ValueError:
            continue
    return False


def overlaps(start: int, end: int, findings: list[Finding]) -> bool:
    """Whether the stretch overlaps any of the findings."""
    return any(start < f.end and f.start < end for f in findings)
