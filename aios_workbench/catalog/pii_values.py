"""What a value of each kind of personal data looks like: one validator per kind, `is_KIND` (conclusive
alone) and, where a column's name must vouch for it, `is_KIND_loose` (plausible only then).

Validators check structure and check digits, not existence: an IBAN passes its mod-97 check, a card
number its issuer prefix and Luhn check, a national ID its ranges or check letter. They see one value
at a time and keep nothing. `classify` scores columns with them.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                   r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$")
EMAIL_DISPLAY = re.compile(r"^[^<>@]*<([^<>]+)>$")


def is_email(v: str) -> bool:
    return len(v) <= 254 and bool(EMAIL.match(v))


def is_email_any(v: str) -> bool:
    """An address as mail headers and links write it too: `Ann Lee <ann@x.org>`, `"Lee, Ann" <...>`, `mailto:`."""
    m = EMAIL_DISPLAY.match(v)
    if m:
        v = m.group(1).strip()
    if v[:7].lower() == "mailto:":
        v = v[7:]
    return is_email(v)


def is_email_loose(v: str) -> bool:
    return is_email_any(v)


PHONE_INTL = re.compile(r"^(?:\+|00)\d{1,3}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?(?:\d{1,5}[\s.\-]?){1,5}\d{1,5}$")
PHONE_NANP = re.compile(r"^(?:\+?1[\s.\-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}$")
PHONE_TRUNK = re.compile(r"^\(?0\d{1,4}\)?[\s\-/]\d{3,4}(?:[\s\-]?\d{2,4}){1,2}$")
PHONE_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*\d{1,5}$", re.I)
DATE_LIKE = re.compile(r"^\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|^\d{1,2}[\-/.]\d{1,2}[\-/.]\d{2,4}$")


def _digits(v: str) -> str:
    return "".join(ch for ch in v if ch in "0123456789")


def is_phone(v: str) -> bool:
    v = PHONE_EXTENSION.sub("", v)
    if DATE_LIKE.match(v) or not 8 <= len(_digits(v)) <= 15:
        return False
    return bool(PHONE_INTL.match(v) or PHONE_NANP.match(v) or PHONE_TRUNK.match(v))


def is_phone_loose(v: str) -> bool:
    v = PHONE_EXTENSION.sub("", v)
    if DATE_LIKE.match(v) or re.fullmatch(r"\d+\.\d{1,2}", v) or not re.fullmatch(r"[+\d\s.\-()/]+", v):
        return False
    return 7 <= len(_digits(v)) <= 15


# Common given names and surnames across the languages our users' data comes in. A person
# name is 2-4 capitalised words with at least one of these; a product ("Steel Desk Pro")
# or a city ("New York") rarely has one.
FIRST_NAMES = set("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony
mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan
jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander
patrick frank raymond jack dennis jerry tyler aaron jose adam nathan henry peter zachary douglas harold
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra
ashley kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca sharon laura cynthia
kathleen amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra
rachel carolyn janet catherine maria heather diane ruth julie olivia joyce virginia victoria kelly lauren
christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison
frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle beverly
isabella theresa diana natalie brittany charlotte marie kayla alexis lori oliver harry noah leo oscar
lucas liam ethan mia ava isla amelia freya poppy chloe lily ella jessica sophie lucy ruby
hans peter klaus jurgen wolfgang stefan andreas michael thomas uwe frank jorg matthias sebastian lukas
leon finn jonas felix maximilian paul elias ben luca anna lena lea leonie johanna katharina ursula
monika petra sabine birgit claudia heike gisela jean pierre michel philippe alain nicolas christophe
francois laurent olivier julien antoine louis hugo arthur jules camille chloe manon ines julie sophie
nathalie isabelle sylvie catherine valerie celine aurelie antonio manuel francisco juan javier carlos
jesus alejandro miguel rafael pedro pablo sergio fernando jorge luis alberto carmen josefa isabel
dolores pilar lucia mercedes rosa cristina paula marta elena laura raquel giuseppe giovanni francesco
mario luigi marco andrea stefano alessandro matteo lorenzo giulia chiara francesca sara martina
alessia valentina federica silvia jan pieter dirk bas sander thijs daan sem ruben lars sanne femke
anouk eva fleur lotte ingrid astrid erik anders johan nils olof karl sven bjorn magnus mikael sofia
elsa maja karin kerstin piotr krzysztof tomasz pawel marcin agnieszka katarzyna malgorzata joanna
ewa rahul amit raj sanjay vijay anil sunil priya anjali pooja neha deepa arjun rohan aditya wei jing
li ming hui yan ling chen hao yu mohammed ahmed ali omar hassan fatima aisha layla yusuf ibrahim
mustafa mehmet ayse emine kenji hiroshi yuki sakura haruto olga irina natalia tatiana sergei dmitri
ivan vladimir alexei nikolai kwame kofi amara chidi ngozi tunde joao ana beatriz gabriel rafaela
""".split())
SURNAMES = set("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez
wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez
lewis robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker
hall rivera campbell mitchell carter roberts evans turner phillips parker collins edwards stewart morris
murphy cook rogers morgan peterson cooper reed bailey bell gomez kelly howard ward cox diaz richardson
wood watson brooks bennett gray james reyes cruz hughes price myers long foster sanders ross morales
powell sullivan russell ortiz jenkins gutierrez perry butler barnes fisher henderson coleman simmons
patterson jordan reynolds hamilton graham kim wallace cole west owens jones davies patel wright
robinson thompson walsh murray byrne ryan obrien muller schmidt schneider fischer weber meyer wagner
becker schulz hoffmann schafer koch bauer richter klein wolf schroder neumann schwarz zimmermann braun
kruger hofmann hartmann lange schmitt werner krause meier lehmann martin bernard dubois thomas robert
richard petit durand leroy moreau simon laurent lefebvre michel david bertrand roux vincent fournier
morel girard andre mercier dupont lambert bonnet francois martinez fernandez gonzalez rodriguez lopez
sanchez perez gomez martin jimenez ruiz hernandez diaz moreno alvarez munoz romero alonso navarro
torres dominguez vazquez ramos gil serrano rossi russo ferrari esposito bianchi romano colombo ricci
marino greco bruno gallo conti deluca costa giordano mancini rizzo lombardi moretti jansen devries
bakker visser smit meijer mulder bos vos peters hendriks dekker vandenberg vandijk johansson andersson
karlsson nilsson eriksson larsson olsson persson svensson gustafsson hansen nielsen jensen pedersen
andersen kowalski nowak wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski kumar
singh sharma gupta shah mehta reddy rao iyer nair wang zhang liu chen yang huang zhao wu zhou xu sun
ma zhu hu guo lin he gao luo khan ahmed hussain rahman ali hassan yilmaz kaya demir sahin celik
tanaka suzuki takahashi watanabe ito yamamoto nakamura kobayashi ivanov petrov sidorov smirnov popov
silva santos oliveira souza pereira costa ferreira almeida okafor mensah adeyemi
""".split())
NAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "le", "la", "bin", "ibn",
                  "al", "el", "dos", "das", "ter", "ten", "y", "mc", "st"}
TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "m", "sr", "sra"}
NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*$")


def _name_tokens(v: str) -> list[str] | None:
    """The name words of `v`, or None when it is not shaped like a person's name."""
    words = v.replace(",", " ").split()
    if not 1 <= len(words) <= 6:
        return None
    names = []
    for w in words:
        bare = w.rstrip(".")
        low = bare.lower()
        if low in TITLES or low in NAME_PARTICLES:
            continue
        if len(bare) == 1 and bare.isupper():  # an initial
            continue
        if not NAME_WORD.match(bare) or not (bare[0].isupper() and (bare[1:].islower() or bare.isupper()
                                                                   or any(c in bare for c in "'’-"))):
            return None
        names.append(low)
    return names if 1 <= len(names) <= 4 else None


def _fold(word: str) -> str:
    return word.translate(_ACCENTS).replace("'", "").replace("’", "")


_ACCENTS = str.maketrans("àáâãäåçèéêëìíîïñòóôõöøùúûüýÿšžłśćńźż", "aaaaaaceeeeiiiinoooooouuuuyyszlscnzz")


def is_person_name_loose(v: str) -> bool:
    names = _name_tokens(v.title() if v.islower() else v) or []  # "maria garcia" typed in lower case
    return bool(names) and any(_fold(n) in FIRST_NAMES or _fold(n).replace("-", "") in SURNAMES
                               or _fold(n) in SURNAMES for n in names)


def is_person_name(v: str) -> bool:
    names = _name_tokens(v)
    return names is not None and len(names) >= 2 and is_person_name_loose(v)


# Street words and their abbreviations across the layouts of our users' data (a word from here, or a
# word ending in one of STREET_SUFFIXES, next to a house number makes an address).
STREET_WORDS = set("""street st avenue ave av road rd lane ln boulevard blvd bd drive dr way court ct place pl
square sq terrace crescent close parkway pkwy highway hwy row mews grove gardens hill walk alley apt suite unit
flat rue chemin quai allee allée impasse route bis via viale piazza piazzale corso vicolo largo borgo contrada
strada calle c avenida avda plaza paseo camino carrer ronda carretera travesía travesia rua travessa praça
praca alameda estrada rodovia quadra lote bloco recanto vereda núcleo nucleo viaduto parque setor conjunto
residencial chácara chacara sítio sitio fazenda trecho loteamento vila morro ladeira passarela pátio patio lagoa
rampa subida beco campo distrito esplanada estação estacao jardim lago praia vale viela aeroporto condomínio
condominio colônia colonia feira favela trevo utca út ulice straat laan plein gracht kade weg singel dreef hof vej gade
allé alle gatan gata vägen vagen gränd torget strasse str gasse platz ring damm ulica ul al aleja plac pl os
osiedle náměstí namesti nám nam třída trida nábřeží sokak sk sok cadde caddesi cad mahallesi mah mh bulvarı
bulvari blok daire no ул улица д дом пр проспект пер переулок наб набережная бул бульвар ш шоссе пл площадь
кв корп стр алл аллея просп вул вулиця буд пров бульв οδός οδος λεωφόρος λεωφ πλατεία katu tie kuja polku
väylä raitti kaari""".split())
STREET_SUFFIXES = ("straße", "strasse", "str.", "weg", "gasse", "allee", "platz", "damm", "ring", "straat",
                   "laan", "plein", "gracht", "gatan", "vägen", "vej", "gade", "katu", "tie", "kuja", "polku",
                   "väylä", "caddesi", "sokak", "sokağı", "bulvarı", "mahallesi", "gränd", "stræde", "allé",
                   # compounds of Dutch, German and Nordic street names (`Zoeydreef`, `Lindenstieg`, `Storgata`)
                   "dreef", "steeg", "singel", "baan", "boulevard", "kade", "dijk", "markt", "plantsoen", "stieg",
                   "chaussee", "ufer", "pfad", "steig", "veien", "vegen", "gata", "gate", "stigen", "backen",
                   "torget", "plads", "vænget", "rinne", "kaari", "raitti", "aukio")
POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"       # UK
                      r"|\d{5}(?:-\d{4})?"                           # US ZIP, DE, FR, ES, IT
                      r"|\d{4}\s?[A-Z]{2}"                           # NL
                      r"|\d{3}\s?\d{2}|\d{4}"                        # SE; AT, BE, CH, DK
                      r"|[A-Z]\d[A-Z]\s?\d[A-Z]\d)$", re.I)          # CA
POSTCODE_INSIDE = re.compile(r"(?:^|[\s,]|(?<=[^\W\d_])-(?=\d{6}(?:$|[\s,])))(?:\d{2}-\d{3}|\d{3}\s\d{2}|\d{4}\s?[A-Z]{2}|\d{5}-\d{3}|\d{3}-\d{4}"
                             r"|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|\d{4,6})(?=$|[\s,])")
HOUSE_NUMBER = re.compile(r"(?:^|[\s,])(?:№\s?)?\d{1,5}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?(?=$|[\s,.])")
CJK_ADDRESS = (re.compile(r"〒\s?\d{3}-?\d{4}|[都道府県].*[市区町村郡].*\d+|[市区町村].*\d+\s*(?:丁目|番地?|号)"),  # JP
               re.compile(r"[省市].*[区县镇路街道].*\d+\s*号|[路街]\s*\d+\s*号|[省市].*[路街].{0,3}座\s*\d{6}$"),                         # CN
               re.compile(r"(?:시|도)\s.*(?:구|군)\s.*(?:로|길|동)\s*\d+|(?:로|길|거리)\s?\d+(?:-\d+)?"))       # KR
ARABIC_STREET = re.compile(r"(?:شارع|طريق|حي|ص\.ب)")


def _without_marks(v: str) -> str:
    """`v` without the vowel signs of abugidas (`चक्रधरपुर`): `re` counts them as non-word characters, which
    would break every word of those scripts apart."""
    return "".join(ch for ch in v if unicodedata.category(ch) not in ("Mn", "Mc"))


def is_address(v: str) -> bool:
    """A street with a house number, or a house number and a postcode in one value (one line or several)."""
    if not 6 <= len(v) <= 200 or not any(ch.isdigit() for ch in v) or "@" in v or "://" in v:
        return False
    if any(p.search(v) for p in CJK_ADDRESS) or (ARABIC_STREET.search(v) and HOUSE_NUMBER.search(v)):
        return True
    v = _without_marks(v)
    words = re.findall(r"[^\W\d_]+\.?|\d+[A-Za-z]?", v.lower())
    if len(words) > 24:
        return False
    if not any(len(w) >= 3 for w in words if w[0].isalpha()):   # "AB 12 34 56 C" is no address
        return False
    has_number = bool(HOUSE_NUMBER.search(v))
    has_street = any(w.rstrip(".") in STREET_WORDS or w.endswith(STREET_SUFFIXES) for w in words if w[0].isalpha())
    if has_number and has_street:
        return True
    # "Kadaňská 19, 624 18 Kosmonosy", "Rua X 12\n01234-567 Cidade": a number, a postcode and words
    lines = [x for x in re.split(r"[\n,]", v) if x.strip()]
    letters = sum(1 for w in words if w[0].isalpha())
    if len(lines) < 2 or letters < 2:
        return False
    # the postcode may be any of the numbers (`7810 ..., Chakradharpur-515732`): one, and a house number besides
    return any(HOUSE_NUMBER.search(v[:m.start()] + " " + v[m.end():]) for m in POSTCODE_INSIDE.finditer(v.upper()))


def is_address_loose(v: str) -> bool:
    """A house number with a few words ("Unit 5, Riverside Park", "Kadaňská 19"); a postcode alone is not."""
    if is_address(v):
        return True
    words = re.findall(r"[^\W\d_]{3,}", _without_marks(v))
    return (6 <= len(v) <= 200 and bool(HOUSE_NUMBER.search(v)) and 1 <= len(words) <= 14
            and "@" not in v and not DATE_LIKE.match(v) and not is_phone_loose(v) and not POSTCODE.match(v))


IBAN_LENGTHS = {"AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
                "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
                "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26,
                "IT": 27, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
                "ME": 22, "MK": 19, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
                "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
                "TN": 24, "TR": 26, "UA": 29, "VA": 22, "XK": 20}


def iban_check(v: str) -> bool:
    """ISO 13616: country length, then the number with its first four characters moved last is 1 mod 97."""
    s = v.replace(" ", "").replace("-", "").upper()
    if len(s) < 15 or IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit() or not (s.isascii() and s.isalnum()):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# issuer prefixes and their card lengths (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay):
# a 15-digit number starting 35 is an IMEI, not a JCB card
CARD_RANGES = ((re.compile(r"^4"), {13, 16, 19}), (re.compile(r"^(?:5[1-5]|2[2-7])"), {16}),
               (re.compile(r"^3[47]"), {15}), (re.compile(r"^(?:6011|65|64[4-9])"), {16, 19}),
               (re.compile(r"^35"), {16, 17, 18, 19}), (re.compile(r"^(?:30[0-5]|36|38|39)"), {14, 16}),
               (re.compile(r"^62"), {16, 17, 18, 19}),
               (re.compile(r"^(?:50|5[6-9]|6[0-9])"), {12, 13, 14, 15, 16, 17, 18, 19}),   # Maestro, RuPay, Verve
               (re.compile(r"^(?:220[0-4]|9792)"), {16}))                                   # Mir, Troy
# Four groups of four digits (or Amex's 4-6-5), one separator throughout: the layout printed on cards and
# typed into payment forms; with a passing Luhn digit it is a card number whatever its (new, local) issuer.
# Order numbers built to pass Luhn are not written this way.
CARD_LAYOUT = re.compile(r"[1-9]\d{3}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|3[47]\d{2}([ -])\d{6}\2\d{5}")


def is_payment_card(v: str) -> bool:
    if not re.fullmatch(r"[\d\s\-]+", v):
        return False
    d = _digits(v)
    if CARD_LAYOUT.fullmatch(v.strip()):
        return luhn(d)
    return any(p.match(d) and len(d) in lengths for p, lengths in CARD_RANGES) and luhn(d)


IP_WITH_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$|^\[([0-9A-Fa-f:.]+)\]:\d{1,5}$")


def is_ip(v: str) -> bool:
    if not (("." in v and v[0].isdigit()) or ":" in v) or len(v) > 53:
        return False
    m = IP_WITH_PORT.match(v)  # 203.0.113.9:443, [2001:db8::1]:443
    if m:
        v = m.group(1) or m.group(2)
    try:
        ipaddress.ip_address(v.split("%")[0])
    except ValueError:
        return False
    return True


SSN = re.compile(r"^(\d{3})-(\d{2})-(\d{4})$")
NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]$")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _dni_ok(s: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): letter = number mod 23."""
    s = s.replace("-", "").replace(" ", "").upper()
    if re.fullmatch(r"[XYZ]\d{7}[A-Z]", s):
        s = str("XYZ".index(s[0])) + s[1:]
    return bool(re.fullmatch(r"\d{8}[A-Z]", s)) and DNI_LETTERS[int(s[:8]) % 23] == s[8]


def _nir_ok(s: str) -> bool:
    """French NIR (INSEE): sex, year, month, place, order, then key = 97 - (number mod 97)."""
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[1278]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2A|2B)\d{6}\d{2}", s):
        return False
    number = int(s[:13].replace("2A", "19").replace("2B", "18"))
    return 97 - number % 97 == int(s[13:])


def _personnummer_ok(s: str) -> bool:
    """Swedish personnummer YYMMDD-NNNN: a plausible date, then Luhn over the ten digits."""
    m = re.fullmatch(r"(?:\d{2})?(\d{2})(\d{2})(\d{2})[-+](\d{4})", s)
    if not m:
        return False
    month, day = int(m.group(2)), int(m.group(3))
    return 1 <= month <= 12 and 1 <= day % 60 <= 31 and luhn("".join(m.groups()))


def _bsn_ok(d: str) -> bool:
    """Dutch BSN: the 11-test (9..2 weights, the last digit weighs -1)."""
    if len(d) != 9 or d == "000000000":
        return False
    return (sum(int(c) * w for c, w in zip(d, range(9, 1, -1), strict=False)) - int(d[8])) % 11 == 0


def is_national_id(v: str) -> bool:
    m = SSN.match(v)
    if m:
        return _ssn_ok(*m.groups())
    return bool(NINO.match(v.upper())) or _dni_ok(v) or _nir_ok(v) or _personnummer_ok(v)


def is_national_id_loose(v: str) -> bool:
    d = v.replace(" ", "").replace("-", "")
    if d.isascii() and d.isdigit() and 7 <= len(d) <= 9:  # stored as a number, an ID loses its leading zeros
        d = d.zfill(9)
        return _ssn_ok(d[:3], d[3:5], d[5:]) or _bsn_ok(d)
    return is_national_id(v)
