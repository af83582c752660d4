"""Word lists and country profiles the demo generator draws from.

Everything here is invented or generic: company names are combinations of
neutral words, people are common European first and last names, cities are
real places. Keeping the vocabulary in one module lets the table builders stay
about distributions rather than spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("electronics", "raw_materials", "logistics", "office", "services")


@dataclass(frozen=True)
class CountryProfile:
    """How a supplier from one country looks: formats for IBAN, phone, postcode, address."""

    code: str  # ISO 3166-1 alpha-2
    weight: float  # share of suppliers
    region: str
    currency: str
    dial_code: str  # E.164 country code, without "+"
    phone_digits: int  # national significant number length
    bban: str  # IBAN BBAN shape: "n" digit, "a" uppercase letter
    postcode: str  # "n" digit, "A" uppercase letter, anything else literal
    street_first: bool  # "Hauptstrasse 12" (True) or "12 Rue de la Paix" (False)
    tld: str
    legal_forms: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]


COUNTRIES: tuple[CountryProfile, ...] = (
    CountryProfile("DE", 0.22, "Central Europe", "EUR", "49", 11, "n" * 18, "nnnnn", True, "de",
                   ("GmbH", "AG", "GmbH & Co. KG"),
                   ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig"),
                   ("Hauptstraße", "Industriestraße", "Bahnhofstraße", "Gewerbering", "Hafenweg")),
    CountryProfile("FR", 0.13, "Western Europe", "EUR", "33", 9, "n" * 23, "nnnnn", False, "fr",
                   ("SA", "SAS", "SARL"),
                   ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes"),
                   ("Rue de la République", "Avenue Jean Jaurès", "Boulevard Voltaire", "Rue du Port")),
    CountryProfile("NL", 0.09, "Western Europe", "EUR", "31", 9, "aaaa" + "n" * 10, "nnnn AA", True, "nl",
                   ("B.V.", "N.V."),
                   ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Den Haag"),
                   ("Havenstraat", "Industrieweg", "Kerkstraat", "Stationsplein")),
    CountryProfile("BE", 0.05, "Western Europe", "EUR", "32", 9, "n" * 12, "nnnn", True, "be",
                   ("NV", "BV", "SA"),
                   ("Antwerpen", "Gent", "Bruxelles", "Liège"),
                   ("Havenlaan", "Rue Royale", "Nijverheidsstraat")),
    CountryProfile("AT", 0.05, "Central Europe", "EUR", "43", 10, "n" * 16, "nnnn", True, "at",
                   ("GmbH", "AG"),
                   ("Wien", "Graz", "Linz", "Salzburg"),
                   ("Industriezeile", "Mariahilfer Straße", "Hafenstraße")),
    CountryProfile("PL", 0.09, "Central Europe", "PLN", "48", 9, "n" * 24, "nn-nnn", False, "pl",
                   ("Sp. z o.o.", "S.A."),
                   ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk"),
                   ("ul. Przemysłowa", "ul. Marszałkowska", "ul. Portowa", "ul. Długa")),
    CountryProfile("ES", 0.10, "Southern Europe", "EUR", "34", 9, "n" * 20, "nnnnn", True, "es",
                   ("S.L.", "S.A."),
                   ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Zaragoza"),
                   ("Calle Mayor", "Avenida de la Industria", "Calle del Puerto", "Paseo de Gracia")),
    CountryProfile("IT", 0.10, "Southern Europe", "EUR", "39", 10, "a" + "n" * 22, "nnnnn", True, "it",
                   ("S.p.A.", "S.r.l."),
                   ("Milano", "Torino", "Bologna", "Roma", "Napoli", "Verona"),
                   ("Via Roma", "Via dell'Industria", "Corso Italia", "Via Garibaldi")),
    CountryProfile("PT", 0.03, "Southern Europe", "EUR", "351", 9, "n" * 21, "nnnn-nnn", True, "pt",
                   ("Lda.", "S.A."),
                   ("Lisboa", "Porto", "Braga"),
                   ("Rua Augusta", "Avenida da Liberdade", "Rua do Porto")),
    CountryProfile("SE", 0.05, "Northern Europe", "SEK", "46", 9, "n" * 20, "nnn nn", True, "se",
                   ("AB",),
                   ("Stockholm", "Göteborg", "Malmö", "Uppsala"),
                   ("Storgatan", "Industrivägen", "Hamngatan")),
    CountryProfile("DK", 0.03, "Northern Europe", "DKK", "45", 8, "n" * 14, "nnnn", True, "dk",
                   ("A/S", "ApS"),
                   ("København", "Aarhus", "Odense"),
                   ("Vesterbrogade", "Industrivej", "Havnegade")),
    CountryProfile("IE", 0.03, "Northern Europe", "EUR", "353", 9, "aaaa" + "n" * 14, "Ann Annn", False, "ie",
                   ("Ltd", "DAC"),
                   ("Dublin", "Cork", "Galway", "Limerick"),
                   ("Main Street", "Harbour Road", "Dock Road")),
    CountryProfile("GB", 0.03, "Northern Europe", "GBP", "44", 10, "aaaa" + "n" * 14, "AAn nAA", False, "co.uk",
                   ("Ltd", "PLC"),
                   ("London", "Manchester", "Birmingham", "Leeds", "Bristol"),
                   ("High Street", "Station Road", "Mill Lane", "Wharf Road")),
)

# Fixed reference rates (units of currency per EUR) so prices stay comparable.
FX_PER_EUR: dict[str, float] = {"EUR": 1.0, "PLN": 4.30, "SEK": 11.20, "DKK": 7.46, "GBP": 0.85}

BRAND_WORDS: tuple[str, ...] = (
    "Northwind", "Bluefield", "Silverline", "Alpine", "Baltic", "Harbor", "Meridian", "Crescent",
    "Summit", "Keystone", "Ironbridge", "Lakeside", "Redwood", "Granite", "Evergreen", "Brightwater",
    "Falcon", "Orion", "Vega", "Aurora", "Pinnacle", "Sterling", "Riverbend", "Oakridge",
    "Westgate", "Eastbay", "Highland", "Coastal", "Polar", "Helix", "Vertex", "Nova",
    "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Juniper", "Kestrel",
)

# The second word of a supplier's name tells its trade, so names match categories.
TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "electronics": ("Electronics", "Components", "Circuits", "Devices", "Semiconductors"),
    "raw_materials": ("Metals", "Polymers", "Materials", "Alloys", "Chemicals"),
    "logistics": ("Logistics", "Freight", "Transport", "Haulage", "Distribution"),
    "office": ("Office Supplies", "Paper", "Furniture", "Stationery", "Workplace"),
    "services": ("Consulting", "Services", "Solutions", "Partners", "Engineering"),
}

NAME_TAILS: tuple[str, ...] = ("", "Group", "International", "Europe", "Works", "Holding")

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Lukas", "Sophie", "Jan", "Marie", "Pierre", "Camille", "Lucía", "Javier", "Giulia",
    "Marco", "Sofia", "João", "Inês", "Katarzyna", "Piotr", "Agnieszka", "Erik", "Astrid", "Lars",
    "Freja", "Siobhan", "Liam", "Oliver", "Emily", "Noah", "Emma", "Hannah", "Jonas", "Léa",
    "Mateo", "Elena", "Tomasz", "Ingrid", "Niamh", "Paul", "Clara", "Daan", "Fleur", "Stefan",
)

LAST_NAMES: tuple[str, ...] = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Martin", "Bernard", "Lefèvre",
    "de Vries", "Jansen", "Bakker", "Peeters", "Janssens", "García", "Fernández", "López", "Martínez",
    "Rossi", "Russo", "Ferrari", "Esposito", "Silva", "Santos", "Kowalski", "Nowak", "Wiśniewski",
    "Andersson", "Johansson", "Nielsen", "Jensen", "Murphy", "O'Brien", "Kelly", "Smith", "Jones",
    "Taylor", "Gruber", "Huber", "Wagner", "Costa", "Moreau", "Visser", "Novak", "Larsen",
)

# Buyers are employees of the (fictional) company running the workbench.
BUYER_DOMAIN = "corp.example.com"

CARRIERS: tuple[str, ...] = (
    "Nordline Freight", "Alpen Express", "Rhine Cargo", "Baltic Carriers", "Iberia Logistics",
)
NEW_CARRIER = "Velocity Parcel"  # enters the market at the drift date
