"""Independent labelled test set for PII column discovery (issue #19).

Built WITHOUT reading the workspace's detector: every label below comes from how the
column was generated (what was put in it), never from running a classifier.

Run:  python tests/oracles/pii_columns/build.py
Writes (next to this file): tables/*.parquet, labels.json, summary.json.

Deterministic: fixed seeds per table/column, and Faker's clock is pinned to
FIXED_TODAY so locale providers that derive IDs from "today" (fi_FI, sv_SE, zh_CN,
cs_CZ, de_DE rvnr, ...) give the same values on every rebuild.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import random
import sys
import types
import unicodedata
import uuid
import zlib
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
TABLES_DIR = HERE / "tables"
N_ROWS = 200
BASE_SEED = 19_2026
FIXED_TODAY = _dt.date(2026, 1, 15)

# --------------------------------------------------------------------------------------
# Pin Faker's notion of "now" (determinism). Real datetime instances must still pass
# isinstance checks, hence the metaclass.
# --------------------------------------------------------------------------------------
_RealDate, _RealDateTime = _dt.date, _dt.datetime


class _DateMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _RealDate)


class _DateTimeMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _RealDateTime)


class _FixedDate(_RealDate, metaclass=_DateMeta):
    @classmethod
    def today(cls):
        return _RealDate(FIXED_TODAY.year, FIXED_TODAY.month, FIXED_TODAY.day)


class _FixedDateTime(_RealDateTime, metaclass=_DateTimeMeta):
    @classmethod
    def now(cls, tz=None):
        d = _RealDateTime(FIXED_TODAY.year, FIXED_TODAY.month, FIXED_TODAY.day, 12, 0, 0)
        return d.replace(tzinfo=tz) if tz is not None else d

    @classmethod
    def today(cls):
        return cls.now()

    @classmethod
    def utcnow(cls):
        return cls.now()


def _pin_faker_clock() -> None:
    import importlib
    import pkgutil

    import faker.providers.date_time as fdt
    import faker.providers.ssn as fssn

    fdt.dtdate = _FixedDate
    fdt.datetime = _FixedDateTime
    shim = types.ModuleType("datetime_shim")
    shim.__dict__.update(_dt.__dict__)
    shim.date = _FixedDate
    shim.datetime = _FixedDateTime
    for mod in pkgutil.iter_modules(fssn.__path__):
        m = importlib.import_module(f"faker.providers.ssn.{mod.name}")
        if getattr(m, "datetime", None) is _dt:
            m.datetime = shim
        if getattr(m, "date", None) is _RealDate:
            m.date = _FixedDate
        if getattr(m, "datetime", None) is _RealDateTime:
            m.datetime = _FixedDateTime


_pin_faker_clock()
from faker import Faker  # noqa: E402  (after pinning is fine; pinning patches modules)

# --------------------------------------------------------------------------------------
# Locales
# --------------------------------------------------------------------------------------
LOCALES = {
    "en_US": ("en", "Latin"), "en_GB": ("en", "Latin"), "de_DE": ("de", "Latin"),
    "fr_FR": ("fr", "Latin"), "es_ES": ("es", "Latin"), "it_IT": ("it", "Latin"),
    "nl_NL": ("nl", "Latin"), "pt_BR": ("pt", "Latin"), "pt_PT": ("pt", "Latin"),
    "pl_PL": ("pl", "Latin"), "sv_SE": ("sv", "Latin"), "da_DK": ("da", "Latin"),
    "fi_FI": ("fi", "Latin"), "cs_CZ": ("cs", "Latin"), "tr_TR": ("tr", "Latin"),
    "ru_RU": ("ru", "Cyrillic"), "uk_UA": ("uk", "Cyrillic"), "el_GR": ("el", "Greek"),
    "ja_JP": ("ja", "CJK"), "zh_CN": ("zh", "CJK"), "ko_KR": ("ko", "CJK"),
    "ar_SA": ("ar", "Arabic"), "hi_IN": ("hi", "Devanagari"),
}
# locales where IBAN is in real use (Faker bank provider, or our own generator below)
IBAN_LOCALES = {"en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pt_PT",
                "pl_PL", "sv_SE", "da_DK", "fi_FI", "cs_CZ", "tr_TR", "uk_UA", "el_GR", "ar_SA"}

_FAKERS: dict[str, Faker] = {}


def faker_for(locale: str) -> Faker:
    if locale not in _FAKERS:
        f = Faker(locale)
        # it_IT builds its city list from a set: order depends on PYTHONHASHSEED. Sort it.
        for prov in f.get_providers():
            if isinstance(getattr(prov, "cities", None), (list, tuple, set, frozenset)):
                prov.cities = sorted(prov.cities)
        _FAKERS[locale] = f
    return _FAKERS[locale]


def seed_of(*parts) -> int:
    return (zlib.crc32("/".join(map(str, parts)).encode()) ^ BASE_SEED) & 0x7FFFFFFF


# --------------------------------------------------------------------------------------
# Column-name vocabulary (written for this set; "|" separates alternatives)
# --------------------------------------------------------------------------------------
V = {
    "full_name": {
        "en": "name|full_name|customer_name|contact_name|client_name", "de": "name|vollstaendiger_name|kundenname|ansprechpartner",
        "fr": "nom_complet|nom_client|nom_prenom", "es": "nombre_completo|nombre_cliente|nombre_y_apellidos",
        "it": "nome_completo|nominativo|nome_cliente", "nl": "naam|volledige_naam|klantnaam",
        "pt": "nome_completo|nome_cliente|nome", "pl": "imie_nazwisko|imię_i_nazwisko|nazwa_klienta",
        "sv": "namn|fullstandigt_namn|kundnamn", "da": "navn|fulde_navn|kundenavn", "fi": "nimi|koko_nimi|asiakkaan_nimi",
        "cs": "jmeno|cele_jmeno|jméno_zákazníka", "tr": "ad_soyad|musteri_adi|isim", "ru": "фио|имя_клиента|fio",
        "uk": "піб|ім'я_клієнта|pib", "el": "ονοματεπώνυμο|onomateponymo", "ja": "氏名|名前|顧客名|shimei",
        "zh": "姓名|客户姓名|xingming", "ko": "이름|성명|고객명", "ar": "الاسم|اسم_العميل|الاسم_الكامل", "hi": "नाम|पूरा_नाम|ग्राहक_नाम",
    },
    "first_name": {
        "en": "first_name|given_name|fname", "de": "vorname", "fr": "prenom|prénom", "es": "nombre|nombre_pila", "it": "nome",
        "nl": "voornaam", "pt": "primeiro_nome|nome_proprio", "pl": "imie|imię", "sv": "fornamn|förnamn", "da": "fornavn",
        "fi": "etunimi", "cs": "krestni_jmeno|křestní_jméno", "tr": "ad|adi", "ru": "имя|imya", "uk": "ім'я|imia",
        "el": "όνομα|onoma", "ja": "名|mei", "zh": "名字", "ko": "이름_명", "ar": "الاسم_الأول", "hi": "पहला_नाम",
    },
    "last_name": {
        "en": "last_name|surname|family_name", "de": "nachname|familienname", "fr": "nom|nom_de_famille",
        "es": "apellidos|apellido", "it": "cognome", "nl": "achternaam", "pt": "sobrenome|apelido", "pl": "nazwisko",
        "sv": "efternamn", "da": "efternavn", "fi": "sukunimi", "cs": "prijmeni|příjmení", "tr": "soyad|soyadi",
        "ru": "фамилия|familiya", "uk": "прізвище", "el": "επώνυμο|eponymo", "ja": "姓|sei", "zh": "姓氏", "ko": "성",
        "ar": "اسم_العائلة", "hi": "उपनाम",
    },
    "email": {
        "en": "email|e_mail|email_address|contact_email", "de": "e_mail|email_adresse|mail", "fr": "courriel|adresse_email|mel",
        "es": "correo|correo_electronico|email", "it": "email|indirizzo_email|posta_elettronica", "nl": "e_mailadres|emailadres",
        "pt": "email|correio_eletronico|e_mail", "pl": "email|adres_email", "sv": "e_post|epost", "da": "e_mail|email_adresse",
        "fi": "sahkoposti|sähköposti", "cs": "email|e_mail", "tr": "e_posta|eposta", "ru": "эл_почта|email|почта",
        "uk": "ел_пошта|пошта", "el": "email|ηλ_ταχυδρομείο", "ja": "メールアドレス|メール", "zh": "电子邮件|邮箱",
        "ko": "이메일", "ar": "البريد_الإلكتروني", "hi": "ईमेल",
    },
    "phone": {
        "en": "phone|phone_number|tel|mobile", "de": "telefon|telefonnummer|handy|mobilnummer",
        "fr": "telephone|téléphone|portable|tel", "es": "telefono|teléfono|movil|móvil", "it": "telefono|cellulare|tel",
        "nl": "telefoon|telefoonnummer|mobiel", "pt": "telefone|celular|telemovel|telemóvel", "pl": "telefon|nr_telefonu|komorka",
        "sv": "telefon|mobilnummer|mobil", "da": "telefon|mobilnummer|tlf", "fi": "puhelin|puhelinnumero|matkapuhelin",
        "cs": "telefon|mobil|tel_cislo", "tr": "telefon|cep_telefonu|gsm", "ru": "телефон|моб_телефон|tel",
        "uk": "телефон|мобільний", "el": "τηλέφωνο|kinito|κινητό", "ja": "電話番号|携帯電話|tel", "zh": "电话|手机号|手机",
        "ko": "전화번호|휴대폰", "ar": "رقم_الهاتف|الجوال", "hi": "फ़ोन|मोबाइल_नंबर",
    },
    "address": {
        "en": "address|street_address|mailing_address|home_address", "de": "adresse|anschrift|wohnanschrift",
        "fr": "adresse|adresse_postale", "es": "direccion|dirección|domicilio", "it": "indirizzo|residenza|domicilio",
        "nl": "adres|woonadres", "pt": "endereco|endereço|morada", "pl": "adres|adres_zamieszkania",
        "sv": "adress|gatuadress|postadress", "da": "adresse|bopæl", "fi": "osoite|katuosoite", "cs": "adresa|bydliste",
        "tr": "adres|ev_adresi", "ru": "адрес|адрес_проживания", "uk": "адреса", "el": "διεύθυνση|dieuthinsi",
        "ja": "住所|jusho", "zh": "地址|家庭住址", "ko": "주소", "ar": "العنوان", "hi": "पता",
    },
    "dob": {
        "en": "date_of_birth|dob|birth_date|birthday", "de": "geburtsdatum|geb_datum|geburtstag",
        "fr": "date_naissance|date_de_naissance|ne_le", "es": "fecha_nacimiento|fecha_de_nacimiento|f_nac",
        "it": "data_nascita|data_di_nascita", "nl": "geboortedatum", "pt": "data_nascimento|data_de_nascimento|dt_nasc",
        "pl": "data_urodzenia", "sv": "fodelsedatum|födelsedatum", "da": "fodselsdato|fødselsdato",
        "fi": "syntymaaika|syntymäaika", "cs": "datum_narozeni|datum_narození", "tr": "dogum_tarihi|doğum_tarihi",
        "ru": "дата_рождения|data_rozhdeniya", "uk": "дата_народження", "el": "ημερομηνία_γέννησης|imerominia_gennisis",
        "ja": "生年月日", "zh": "出生日期|生日", "ko": "생년월일", "ar": "تاريخ_الميلاد", "hi": "जन्म_तिथि",
    },
    "iban": {
        "en": "iban|bank_account|account_iban", "de": "iban|bankverbindung|kontonummer", "fr": "iban|rib|compte_bancaire",
        "es": "iban|cuenta_bancaria", "it": "iban|conto_corrente", "nl": "iban|rekeningnummer", "pt": "iban|conta_bancaria|nib",
        "pl": "iban|numer_konta|nr_rachunku", "sv": "iban|bankkonto", "da": "iban|kontonummer", "fi": "iban|tilinumero",
        "cs": "iban|cislo_uctu", "tr": "iban|hesap_no", "ru": "iban|расчетный_счет", "uk": "iban|рахунок",
        "el": "iban|λογαριασμός", "ja": "口座番号", "zh": "银行账号", "ko": "계좌번호", "ar": "iban|رقم_الحساب", "hi": "बैंक_खाता",
    },
    "card": {
        "en": "card_number|credit_card|cc_number|pan", "de": "kartennummer|kreditkarte", "fr": "numero_carte|carte_bancaire",
        "es": "numero_tarjeta|tarjeta", "it": "numero_carta|carta_di_credito", "nl": "kaartnummer|creditcard",
        "pt": "numero_cartao|cartao_credito", "pl": "numer_karty|karta", "sv": "kortnummer", "da": "kortnummer",
        "fi": "kortin_numero|luottokortti", "cs": "cislo_karty", "tr": "kart_no|kredi_karti", "ru": "номер_карты",
        "uk": "номер_картки", "el": "αριθμός_κάρτας", "ja": "カード番号", "zh": "银行卡号|信用卡号", "ko": "카드번호",
        "ar": "رقم_البطاقة", "hi": "कार्ड_नंबर",
    },
    "ip": {
        "en": "ip|ip_address|client_ip|remote_addr|last_login_ip", "de": "ip_adresse", "fr": "adresse_ip", "es": "direccion_ip",
        "it": "indirizzo_ip", "nl": "ip_adres", "pt": "endereco_ip", "pl": "adres_ip", "sv": "ip_adress", "da": "ip_adresse",
        "fi": "ip_osoite", "cs": "ip_adresa", "tr": "ip_adresi", "ru": "ip_адрес", "uk": "ip_адреса", "el": "διεύθυνση_ip",
        "ja": "ipアドレス", "zh": "ip地址", "ko": "ip주소", "ar": "عنوان_ip", "hi": "आईपी_पता",
    },
    "notes": {
        "en": "notes|comment|remarks|description|message", "de": "notiz|bemerkung|kommentar", "fr": "remarque|commentaire|note",
        "es": "notas|comentario|observaciones", "it": "note|commento", "nl": "opmerking|notitie",
        "pt": "observacao|observação|comentario", "pl": "uwagi|komentarz", "sv": "anteckning|kommentar",
        "da": "bemærkning|note", "fi": "huomautus|kommentti", "cs": "poznamka|komentar", "tr": "aciklama|not",
        "ru": "комментарий|примечание", "uk": "коментар|примітка", "el": "σχόλια|παρατηρήσεις", "ja": "備考|メモ",
        "zh": "备注", "ko": "비고|메모", "ar": "ملاحظات", "hi": "टिप्पणी",
    },
    "city": {
        "en": "city|town", "de": "ort|stadt", "fr": "ville", "es": "ciudad|localidad", "it": "citta|comune", "nl": "plaats|stad",
        "pt": "cidade|localidade", "pl": "miasto|miejscowosc", "sv": "ort|stad", "da": "by", "fi": "kaupunki|paikkakunta",
        "cs": "mesto|obec", "tr": "sehir|il", "ru": "город", "uk": "місто", "el": "πόλη", "ja": "市区町村", "zh": "城市",
        "ko": "도시", "ar": "المدينة", "hi": "शहर",
    },
    "country": {
        "en": "country", "de": "land", "fr": "pays", "es": "pais|país", "it": "paese|nazione", "nl": "land", "pt": "pais|país",
        "pl": "kraj", "sv": "land", "da": "land", "fi": "maa", "cs": "zeme|stát", "tr": "ulke|ülke", "ru": "страна",
        "uk": "країна", "el": "χώρα", "ja": "国", "zh": "国家", "ko": "국가", "ar": "الدولة", "hi": "देश",
    },
    "zip": {
        "en": "zip|postal_code|postcode", "de": "plz|postleitzahl", "fr": "code_postal|cp", "es": "codigo_postal|cp",
        "it": "cap", "nl": "postcode", "pt": "cep|codigo_postal", "pl": "kod_pocztowy", "sv": "postnummer",
        "da": "postnr", "fi": "postinumero", "cs": "psc|psč", "tr": "posta_kodu", "ru": "индекс", "uk": "індекс",
        "el": "τκ|tk", "ja": "郵便番号", "zh": "邮编", "ko": "우편번호", "ar": "الرمز_البريدي", "hi": "पिन_कोड",
    },
    "company": {
        "en": "company|employer|supplier", "de": "firma|unternehmen|arbeitgeber", "fr": "societe|entreprise",
        "es": "empresa|razon_social", "it": "azienda|ragione_sociale", "nl": "bedrijf|werkgever", "pt": "empresa|razao_social",
        "pl": "firma|pracodawca", "sv": "foretag|företag", "da": "firma|virksomhed", "fi": "yritys|tyonantaja",
        "cs": "firma|zamestnavatel", "tr": "sirket|şirket", "ru": "компания|организация", "uk": "організація",
        "el": "εταιρεία", "ja": "会社名|勤務先", "zh": "公司名称|单位", "ko": "회사명", "ar": "الشركة", "hi": "कंपनी",
    },
    "created_at": {
        "en": "created_at|updated_at|shipped_at|last_login_at|event_time", "de": "erstellt_am|geaendert_am|versanddatum",
        "fr": "date_creation|date_envoi", "es": "fecha_alta|fecha_envio", "it": "data_creazione|data_spedizione",
        "nl": "aangemaakt_op|verzonden_op", "pt": "data_criacao|data_envio", "pl": "data_utworzenia|data_wysylki",
        "sv": "skapad|skickad", "da": "oprettet|afsendt", "fi": "luotu|lahetetty", "cs": "vytvoreno|odeslano",
        "tr": "olusturma_tarihi|gonderim_tarihi", "ru": "создано|дата_отправки", "uk": "створено|дата_відправлення",
        "el": "ημερομηνία_δημιουργίας", "ja": "作成日時|発送日", "zh": "创建时间|发货时间", "ko": "생성일시|발송일",
        "ar": "تاريخ_الإنشاء", "hi": "निर्माण_तिथि",
    },
    "order_date": {
        "en": "order_date|invoice_date|delivery_date", "de": "bestelldatum|rechnungsdatum|lieferdatum",
        "fr": "date_commande|date_facture", "es": "fecha_pedido|fecha_factura", "it": "data_ordine|data_fattura",
        "nl": "besteldatum|factuurdatum", "pt": "data_pedido|data_fatura", "pl": "data_zamowienia|data_faktury",
        "sv": "orderdatum|fakturadatum", "da": "ordredato|fakturadato", "fi": "tilauspaiva|laskun_pvm",
        "cs": "datum_objednavky|datum_faktury", "tr": "siparis_tarihi|fatura_tarihi", "ru": "дата_заказа|дата_счета",
        "uk": "дата_замовлення", "el": "ημερομηνία_παραγγελίας", "ja": "注文日|請求日", "zh": "订单日期|开票日期",
        "ko": "주문일|청구일", "ar": "تاريخ_الطلب", "hi": "ऑर्डर_तिथि",
    },
    "amount": {
        "en": "amount|total|price", "de": "betrag|summe|preis", "fr": "montant|prix", "es": "importe|precio", "it": "importo|prezzo",
        "nl": "bedrag|prijs", "pt": "valor|preco", "pl": "kwota|cena", "sv": "belopp|pris", "da": "beløb|pris",
        "fi": "summa|hinta", "cs": "castka|cena", "tr": "tutar|fiyat", "ru": "сумма|цена", "uk": "сума|ціна", "el": "ποσό|τιμή",
        "ja": "金額|価格", "zh": "金额|价格", "ko": "금액|가격", "ar": "المبلغ", "hi": "राशि",
    },
    "order_no": {
        "en": "order_number|order_no|order_ref", "de": "bestellnummer|auftragsnummer", "fr": "numero_commande|no_commande",
        "es": "numero_pedido|n_pedido", "it": "numero_ordine", "nl": "bestelnummer|ordernummer", "pt": "numero_pedido",
        "pl": "numer_zamowienia", "sv": "ordernummer", "da": "ordrenummer", "fi": "tilausnumero", "cs": "cislo_objednavky",
        "tr": "siparis_no", "ru": "номер_заказа", "uk": "номер_замовлення", "el": "αριθμός_παραγγελίας", "ja": "注文番号",
        "zh": "订单号", "ko": "주문번호", "ar": "رقم_الطلب", "hi": "ऑर्डर_संख्या",
    },
    "status": {
        "en": "status|state", "de": "status", "fr": "statut", "es": "estado", "it": "stato", "nl": "status", "pt": "situacao|status",
        "pl": "status", "sv": "status", "da": "status", "fi": "tila", "cs": "stav", "tr": "durum", "ru": "статус",
        "uk": "статус", "el": "κατάσταση", "ja": "ステータス", "zh": "状态", "ko": "상태", "ar": "الحالة", "hi": "स्थिति",
    },
}

NATIONAL_ID_NAMES = {
    "en_US": "ssn|social_security_number|tax_id|ssn_no", "en_GB": "ni_number|national_insurance_no|nino",
    "de_DE": "steuer_id|steuerid|rv_nummer|sozialversicherungsnummer|versichertennummer|kvnr",
    "fr_FR": "numero_secu|nir|numero_securite_sociale", "es_ES": "dni|nie|nif|nuss|num_seguridad_social",
    "it_IT": "codice_fiscale|cod_fiscale|cf", "nl_NL": "bsn|burgerservicenummer", "pt_BR": "cpf|rg|documento",
    "pt_PT": "nif|contribuinte|numero_contribuinte", "pl_PL": "pesel|nr_dowodu", "sv_SE": "personnummer|pnr",
    "da_DK": "cpr|cpr_nummer", "fi_FI": "henkilotunnus|hetu", "cs_CZ": "rodne_cislo|rc", "tr_TR": "tc_kimlik_no|tckn",
    "ru_RU": "инн|inn|снилс|snils", "uk_UA": "рнокпп|ipn|ідентифікаційний_код", "el_GR": "αμκα|amka|afm|αφμ",
    "ja_JP": "マイナンバー|個人番号", "zh_CN": "身份证号|身份证号码", "ko_KR": "주민등록번호|jumin_no",
    "ar_SA": "رقم_الهوية|الهوية_الوطنية|id_number", "hi_IN": "aadhaar|आधार_संख्या|pan_no",
}

# Uninformative names: generic ones (any concept) and role words (concept-specific)
GENERIC_OPAQUE = ["col_{i}", "c{i}", "field_{i}", "info", "data", "value", "attr_{i}", "x{i}", "f{i}", "var_{i}",
                  "details", "misc", "extra", "text_{i}", "raw_{i}", "campo_{i}", "feld_{i}", "champ_{i}",
                  "項目{i}", "字段{i}", "поле_{i}", "πεδίο_{i}", "kolumna_{i}", "sarake_{i}"]
ROLE_OPAQUE = {
    "full_name": ["who", "member", "recipient", "account_holder", "owner", "holder", "beneficiary", "party", "contact",
                  "kontakt", "signed_by", "assignee", "titular", "destinatario", "empfaenger", "用户", "получатель"],
    "first_name": ["who", "member", "called", "greeting_as", "alias", "nick", "display"],
    "last_name": ["family", "member", "party", "holder"],
    "email": ["contact", "login", "username", "user", "account", "reach_at", "recipient", "kontakt", "contato", "to"],
    "phone": ["contact", "kontakt", "contato", "reach_at", "callback", "number", "no", "numero", "nr", "sms_to"],
    "address": ["ship_to", "bill_to", "deliver_to", "location", "where", "destino", "lieferung", "livraison", "info",
                "consegna", "送り先", "收货"],
    "dob": ["born", "d1", "date1", "dt", "day", "since", "geb", "nac", "birth"],  # 'birth'/'geb' stay ambiguous-ish
    "national_id": ["id_no", "ref", "number", "identifier", "document", "documento", "doc_no", "personal_no", "key",
                    "ausweis", "code"],
    "iban": ["account", "konto", "payout", "beneficiary_account", "pay_to", "cuenta", "conto", "compte"],
    "card": ["payment", "instrument", "method", "pm", "token_src", "tarjeta", "karte"],
    "ip": ["src", "origin", "host", "peer", "remote", "client", "from_addr"],
    "notes": ["text", "body", "msg", "memo", "payload", "line"],
}
# 'birth' and 'geb' do name the concept; they are listed as role words but get
# name_kind="descriptive" below so the uninformative count stays honest.
DESCRIPTIVE_ROLE_WORDS = {"birth", "geb", "nac"}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "fi": "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta",
    "cs": "ledna února března dubna května června července srpna září října listopadu prosince",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "el": "Ιανουαρίου Φεβρουαρίου Μαρτίου Απριλίου Μαΐου Ιουνίου Ιουλίου Αυγούστου Σεπτεμβρίου Οκτωβρίου Νοεμβρίου Δεκεμβρίου",
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर",
}
MONTHS = {k: v.split() for k, v in MONTHS.items()}
EN_ABBR = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

NUMERIC_DATE_FORMATS = {
    "en_US": ["%m/%d/%Y", "{m}/{d}/{yy}", "%m-%d-%Y"], "en_GB": ["%d/%m/%Y", "%d/%m/%y"],
    "de_DE": ["%d.%m.%Y", "{d}.{m}.{y}"], "fr_FR": ["%d/%m/%Y"], "es_ES": ["%d/%m/%Y", "%d-%m-%Y"], "it_IT": ["%d/%m/%Y"],
    "nl_NL": ["%d-%m-%Y"], "pt_BR": ["%d/%m/%Y"], "pt_PT": ["%d/%m/%Y", "%d-%m-%Y"], "pl_PL": ["%d.%m.%Y"],
    "sv_SE": ["%Y-%m-%d", "%y%m%d"], "da_DK": ["%d-%m-%Y", "%d.%m.%Y"], "fi_FI": ["{d}.{m}.{y}", "%d.%m.%Y"],
    "cs_CZ": ["{d}. {m}. {y}", "%d.%m.%Y"], "tr_TR": ["%d.%m.%Y"], "ru_RU": ["%d.%m.%Y"], "uk_UA": ["%d.%m.%Y"],
    "el_GR": ["%d/%m/%Y", "{d}/{m}/{y}"], "ja_JP": ["%Y/%m/%d"], "zh_CN": ["%Y/%m/%d", "%Y.%m.%d"], "ko_KR": ["%Y.%m.%d", "%Y. %m. %d."],
    "ar_SA": ["%d/%m/%Y"], "hi_IN": ["%d/%m/%Y", "%d-%m-%Y"],
}


def fmt_date(d: _dt.date, fmt: str, lang: str) -> str:
    if fmt == "long":
        m = d.month
        if lang in ("ja", "zh"):
            return f"{d.year}年{m}月{d.day}日"
        if lang == "ko":
            return f"{d.year}년 {m}월 {d.day}일"
        names = MONTHS.get(lang, MONTHS["en"])
        mn = names[m - 1]
        if lang == "en":
            return f"{mn} {d.day}, {d.year}"
        if lang in ("es", "pt"):
            return f"{d.day} de {mn} de {d.year}"
        if lang in ("de", "da", "fi", "cs"):
            return f"{d.day}. {mn} {d.year}"
        if lang == "ru":
            return f"{d.day} {mn} {d.year} г."
        return f"{d.day} {mn} {d.year}"
    if fmt == "en_abbr":
        return f"{d.day:02d}-{EN_ABBR[d.month - 1]}-{d.year}"
    if "{" in fmt:
        return fmt.format(d=d.day, m=d.month, y=d.year, yy=f"{d.year % 100:02d}")
    return d.strftime(fmt)


# --------------------------------------------------------------------------------------
# Helpers for values Faker lacks (own code, standard public check-digit rules)
# --------------------------------------------------------------------------------------
def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def iban_from_bban(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(num) % 97
    return f"{country}{check:02d}{bban}"


def own_iban(rng: random.Random, locale: str, fake: Faker) -> str:
    if locale == "sv_SE":
        return iban_from_bban("SE", "".join(rng.choice("0123456789") for _ in range(20)))
    if locale == "ar_SA":
        return iban_from_bban("SA", f"{rng.choice(['10', '15', '20', '30', '45', '55', '60', '65', '80'])}"
                                    + "".join(rng.choice("0123456789") for _ in range(18)))
    return fake.iban()


def steuer_id(rng: random.Random) -> str:
    # German tax ID: 11 digits, first != 0, in the first 10 exactly one digit repeated (2x),
    # check digit ISO 7064 MOD 11,10
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
        c = Counter(digits)
        if sorted(c.values(), reverse=True)[:2] == [2, 1] and len(c) == 9:
            break
    product = 10
    for dgt in digits:
        s = (dgt + product) % 10 or 10
        product = (s * 2) % 11
    check = (11 - product) % 10
    return "".join(map(str, digits)) + str(check)


def uk_nino(rng: random.Random) -> str:
    first = "ABCEGHJKLMNOPRSTWXYZ"
    second = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        p = rng.choice(first) + rng.choice(second)
        if p not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
            break
    return p + "".join(rng.choice("0123456789") for _ in range(6)) + rng.choice("ABCD")


def pt_nif(rng: random.Random) -> str:
    base = str(rng.choice([1, 2, 3])) + "".join(rng.choice("0123456789") for _ in range(7))
    s = sum(int(c) * w for c, w in zip(base, range(9, 1, -1), strict=False))
    r = 11 - s % 11
    return base + str(0 if r >= 10 else r)


def dk_cpr(rng: random.Random, birth: _dt.date) -> str:
    # 7th digit encodes the century (CPR rules); no mod-11 since 2007
    yy = birth.year % 100
    if birth.year < 2000:
        opts = "0123" + ("49" if yy >= 37 else "")
    else:
        opts = ("49" if yy <= 36 else "") + "5678"
    return birth.strftime("%d%m%y") + "-" + rng.choice(opts) + "".join(rng.choice("0123456789") for _ in range(3))


def kr_rrn_fix(v: str) -> str:
    # recompute the (pre-2020) check digit of a Korean RRN: weights 2..9,2..5, (11 - s % 11) % 10
    d = v.replace("-", "")[:12]
    mm, dd = int(d[2:4]), int(d[4:6])  # Faker sometimes emits month/day 00
    d = d[:2] + f"{min(max(mm, 1), 12):02d}{min(max(dd, 1), 28):02d}" + d[6:]
    s = sum(int(c) * w for c, w in zip(d, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], strict=False))
    full = d + str((11 - s % 11) % 10)
    return f"{full[:6]}-{full[6:]}"


def ru_snils(rng: random.Random) -> str:
    while True:
        base = "".join(rng.choice("0123456789") for _ in range(9))
        if base > "001001998":
            break
    s = sum(int(c) * w for c, w in zip(base, range(9, 0, -1), strict=False))
    if s < 100:
        chk = s
    elif s in (100, 101):
        chk = 0
    else:
        chk = s % 101
        if chk == 100:
            chk = 0
    return f"{base[:3]}-{base[3:6]}-{base[6:]} {chk:02d}"


def jp_my_number(rng: random.Random) -> str:
    base = "".join(rng.choice("0123456789") for _ in range(11))
    digits = [int(c) for c in reversed(base)]  # P1..P11 from the right
    s = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(digits, start=1))
    r = s % 11
    return base + str(0 if r <= 1 else 11 - r)


def sa_national_id(rng: random.Random) -> str:
    base = rng.choice("12") + "".join(rng.choice("0123456789") for _ in range(8))
    return base + luhn_check_digit(base)


def in_pan(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(rng.choice(letters) for _ in range(3)) + "P" + rng.choice(letters) + \
        "".join(rng.choice("0123456789") for _ in range(4)) + rng.choice(letters)


def luhn_number(rng: random.Random, length: int, first: str) -> str:
    body = first + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(first)))
    return body + luhn_check_digit(body)


def ean13(rng: random.Random) -> str:
    body = rng.choice(["400", "500", "590", "760", "800", "840", "870", "471", "490"]) + \
        "".join(rng.choice("0123456789") for _ in range(9))
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - s % 10) % 10)


def group(s: str, sizes, sep=" ") -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


def group4(s: str, sep=" ") -> str:
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def rand_digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


# Own address/phone composers where Faker falls back to en_US placeholders
SA_CITIES = ["الرياض", "جدة", "مكة المكرمة", "المدينة المنورة", "الدمام", "الخبر", "الطائف", "تبوك", "أبها", "بريدة", "حائل", "نجران"]
SA_DISTRICTS = ["حي النخيل", "حي الملز", "حي العليا", "حي الروضة", "حي السلامة", "حي الشاطئ", "حي الفيصلية", "حي المروج", "حي الربوة"]
SA_STREETS = ["شارع الملك فهد", "شارع الأمير سلطان", "طريق الملك عبدالعزيز", "شارع التحلية", "شارع الستين", "شارع العروبة", "طريق المدينة"]
TR_CITIES = [("Kadıköy", "İstanbul"), ("Çankaya", "Ankara"), ("Konak", "İzmir"), ("Nilüfer", "Bursa"), ("Muratpaşa", "Antalya"),
             ("Seyhan", "Adana"), ("Selçuklu", "Konya"), ("Tepebaşı", "Eskişehir"), ("Ortahisar", "Trabzon")]
TR_MAH = ["Atatürk", "Cumhuriyet", "Yeni", "Fatih", "Bahçelievler", "Gazi", "Mimar Sinan", "Yıldız", "Barbaros"]


def address_value(fake: Faker, locale: str, rng: random.Random, style: str) -> str:
    if locale == "ar_SA":
        lines = [f"{rng.randint(1000, 9999)} {rng.choice(SA_STREETS)}", rng.choice(SA_DISTRICTS),
                 f"{rng.choice(SA_CITIES)} {rng.randint(11000, 34999)}"]
        if rng.random() < 0.5:
            lines[0] = f"{rng.randint(1000, 9999)} شارع {fake.last_name()}"
    elif locale == "tr_TR":
        dist, city = rng.choice(TR_CITIES)
        street = f"{fake.last_name()} {rng.choice(['Sokak', 'Sk.', 'Caddesi', 'Cad.'])}"
        lines = [f"{rng.choice(TR_MAH)} Mah. {street} No:{rng.randint(1, 180)} D:{rng.randint(1, 20)}",
                 f"{rng.randint(1, 81):02d}{rng.randint(100, 999)} {dist}/{city}"]
    elif locale == "ja_JP":
        a = fake.address()
        lines = [a]
        if rng.random() < 0.4:
            lines = [f"〒{fake.zipcode()}", a]
    else:
        lines = fake.address().split("\n")
    if style == "multiline":
        return "\n".join(lines)
    if style == "street":
        return lines[0] if len(lines) > 1 else lines[0]
    sep = "، " if locale == "ar_SA" and rng.random() < 0.6 else ", "
    if locale in ("ja_JP", "zh_CN", "ko_KR"):
        sep = " " if rng.random() < 0.5 else ""
    return sep.join(lines)


AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def phone_value(fake: Faker, locale: str, rng: random.Random, style: str) -> str:
    if locale == "hi_IN":
        m = rng.choice("6789") + rand_digits(rng, 9)
        v = rng.choice([f"+91 {m[:5]} {m[5:]}", m, f"+91-{m}", f"0{m}", f"0{rng.choice(['11', '22', '33', '44', '80'])}-{rand_digits(rng, 8)}"])
    elif locale == "ar_SA":
        m = "5" + rng.choice("0345689") + rand_digits(rng, 7)
        v = rng.choice([f"+966 {m[:2]} {m[2:5]} {m[5:]}", f"0{m}", f"+966{m}", f"00966{m}", f"011 {rand_digits(rng, 3)} {rand_digits(rng, 4)}"])
        if style == "arabic_digits":
            v = v.translate(AR_DIGITS)
    else:
        v = fake.phone_number()
    if style == "compact":
        v = v.split("x")[0]  # drop en_US-style extensions before squeezing separators
        v = ("+" if v.startswith("+") else "") + "".join(ch for ch in v if ch.isdigit())
    elif style == "tel_uri" and not v.startswith("tel:"):
        v = "tel:" + v.replace(" ", "")
    return v


TITLES = {
    "en": ["Dr.", "Mr.", "Ms.", "Mrs.", "Prof."], "de": ["Dr.", "Herr", "Frau", "Prof. Dr."], "fr": ["M.", "Mme", "Dr", "Me"],
    "es": ["Sr.", "Sra.", "Dr.", "Dra."], "it": ["Dott.", "Sig.", "Sig.ra", "Avv.", "Ing."], "nl": ["Dhr.", "Mevr.", "dr.", "ir."],
    "pt": ["Sr.", "Sra.", "Dr.", "Dra."], "pl": ["Pan", "Pani", "dr", "prof."], "sv": ["Dr.", "Prof."], "da": ["Dr.", "Hr.", "Fru"],
    "fi": ["Dr.", "Prof."], "cs": ["Ing.", "Mgr.", "MUDr.", "pan", "paní"], "tr": ["Dr.", "Bay", "Bayan", "Av."],
    "ru": ["г-н", "г-жа", "д-р"], "uk": ["пан", "пані", "д-р"], "el": ["κ.", "Δρ.", "κα"],
    "ar": ["الدكتور", "السيد", "السيدة", "المهندس"], "hi": ["श्री", "श्रीमती", "डॉ."],
}
SUFFIX_TITLES = {"ja": ["様", "さん", "殿"], "zh": ["先生", "女士", "老师"], "ko": [" 님", "씨", " 고객님"]}


def name_value(fake: Faker, locale: str, lang: str, rng: random.Random, style: str) -> str:
    if style == "first":
        return fake.first_name()
    if style == "last":
        return fake.last_name()
    if style == "kana" and locale == "ja_JP":
        return fake.kana_name()
    if style == "romanized" and locale == "ja_JP":
        return fake.romanized_name()
    if lang in ("ja", "zh", "ko"):
        base = fake.last_name() + ("" if lang != "ja" or rng.random() < 0.4 else " ") + fake.first_name()
    else:
        base = f"{fake.first_name()} {fake.last_name()}" if lang != "ru" or rng.random() < 0.5 else fake.name()
    if style == "upper":
        return base.upper()
    if style == "last_first":
        if lang in ("ja", "zh", "ko", "ar"):
            return base
        parts = base.split(" ")
        return f"{parts[-1].upper() if rng.random() < 0.5 else parts[-1]}, {' '.join(parts[:-1])}"
    if style == "title":
        if lang in SUFFIX_TITLES:
            return base + rng.choice(SUFFIX_TITLES[lang])
        return f"{rng.choice(TITLES.get(lang, TITLES['en']))} {base}"
    if style == "initial" and lang not in ("ja", "zh", "ko", "ar", "hi"):
        fn = fake.first_name()
        return f"{fn[0]}. {fake.last_name()}"
    return base


def email_value(fake: Faker, rng: random.Random, style: str, name: str | None = None) -> str:
    user = fake.user_name()
    r = rng.random()
    if r < 0.55:
        domain = fake.free_email_domain()
    elif r < 0.9:
        domain = fake.domain_name()
    else:
        domain = fake.domain_name(2)
    addr = f"{user}@{domain}"
    if style == "display":
        nm = name or fake.name()
        return f"{nm} <{addr}>" if rng.random() < 0.7 else f'"{nm}" <{addr}>'
    if style == "upper":
        return addr.upper()
    if style == "mailto":
        return "mailto:" + addr
    return addr


# --------------------------------------------------------------------------------------
# National IDs per locale: list of (description, fn(fake, rng) -> str)
# --------------------------------------------------------------------------------------
def national_id_schemes(locale: str):
    faker_for(locale)
    dob = lambda rng: _dt.date(1940, 1, 1) + _dt.timedelta(days=rng.randint(0, 24000))  # noqa: E731
    schemes = {
        "en_US": [("US SSN with dashes", lambda fk, r: fk.ssn()),
                  ("US SSN without dashes", lambda fk, r: fk.ssn().replace("-", "")),
                  ("US ITIN", lambda fk, r: fk.itin())],
        "en_GB": [("UK National Insurance number, spaced", lambda fk, r: group(uk_nino(r), [2, 2, 2, 2, 1])),
                  ("UK National Insurance number, compact", lambda fk, r: uk_nino(r))],
        "de_DE": [("German tax ID (Steuer-ID)", lambda fk, r: steuer_id(r)),
                  ("German tax ID (Steuer-ID) with spaces", lambda fk, r: group(steuer_id(r), [2, 3, 3, 3])),
                  ("German pension insurance number (RVNR)", lambda fk, r: fk.rvnr()),
                  ("German health insurance number (KVNR)", lambda fk, r: fk.kvnr()[:10])],
        "fr_FR": [("French NIR (social security number)", lambda fk, r: fk.ssn()),
                  ("French NIR spaced", lambda fk, r: group(fk.ssn(), [1, 2, 2, 2, 3, 3, 2]))],
        "es_ES": [("Spanish DNI/NIF", lambda fk, r: fk.nif()), ("Spanish NIE", lambda fk, r: fk.nie()),
                  ("Spanish NUSS (social security)", lambda fk, r: fk.nuss()),
                  ("Spanish NUSS with slashes", lambda fk, r: (lambda v: f"{v[:2]}/{v[2:10]}/{v[10:]}")(fk.nuss())),
                  ("Spanish DNI with dash", lambda fk, r: (lambda v: f"{v[:-1]}-{v[-1]}")(fk.nif()))],
        "it_IT": [("Italian codice fiscale", lambda fk, r: fk.ssn()),
                  ("Italian codice fiscale lower case", lambda fk, r: fk.ssn().lower())],
        "nl_NL": [("Dutch BSN", lambda fk, r: fk.ssn()),
                  ("Dutch BSN dotted", lambda fk, r: group(fk.ssn(), [4, 2, 3], "."))],
        "pt_BR": [("Brazilian CPF formatted", lambda fk, r: fk.cpf()),
                  ("Brazilian CPF digits only", lambda fk, r: fk.ssn()),
                  ("Brazilian RG", lambda fk, r: fk.rg()),
                  ("Brazilian RG formatted", lambda fk, r: (lambda v: f"{v[:2]}.{v[2:5]}.{v[5:8]}-{v[8:]}")(fk.rg()))],
        "pt_PT": [("Portuguese NIF (personal tax number)", lambda fk, r: pt_nif(r)),
                  ("Portuguese NIF spaced", lambda fk, r: group(pt_nif(r), [3, 3, 3]))],
        "pl_PL": [("Polish PESEL", lambda fk, r: fk.pesel()),
                  ("Polish identity card number", lambda fk, r: fk.identity_card_number())],
        "sv_SE": [("Swedish personnummer", lambda fk, r: fk.ssn()),
                  ("Swedish personnummer long", lambda fk, r: fk.ssn(long=True)),
                  ("Swedish personnummer no dash", lambda fk, r: fk.ssn(dash=False))],
        "da_DK": [("Danish CPR number", lambda fk, r: dk_cpr(r, dob(r))),
                  ("Danish CPR number compact", lambda fk, r: dk_cpr(r, dob(r)).replace("-", ""))],
        "fi_FI": [("Finnish henkilötunnus", lambda fk, r: fk.ssn())],
        "cs_CZ": [("Czech birth number (rodné číslo)", lambda fk, r: fk.birth_number()),
                  ("Czech birth number no slash", lambda fk, r: fk.birth_number().replace("/", ""))],
        "tr_TR": [("Turkish TC Kimlik No", lambda fk, r: fk.ssn())],
        "ru_RU": [("Russian INN (individual)", lambda fk, r: fk.ssn()),
                  ("Russian SNILS", lambda fk, r: ru_snils(r)),
                  ("Russian SNILS compact", lambda fk, r: ru_snils(r).replace("-", "").replace(" ", ""))],
        "uk_UA": [("Ukrainian RNOKPP (tax number)", lambda fk, r: fk.ssn())],
        "el_GR": [("Greek AMKA", lambda fk, r: fk.ssn()), ("Greek AFM (tax number)", lambda fk, r: fk.tin())],
        "ja_JP": [("Japanese My Number", lambda fk, r: jp_my_number(r)),
                  ("Japanese My Number spaced", lambda fk, r: group(jp_my_number(r), [4, 4, 4]))],
        "zh_CN": [("Chinese resident identity card number", lambda fk, r: fk.ssn())],
        "ko_KR": [("Korean resident registration number", lambda fk, r: kr_rrn_fix(fk.ssn())),
                  ("Korean RRN without dash", lambda fk, r: kr_rrn_fix(fk.ssn()).replace("-", ""))],
        "ar_SA": [("Saudi national ID / Iqama", lambda fk, r: sa_national_id(r))],
        "hi_IN": [("Indian Aadhaar spaced", lambda fk, r: group(faker_for("en_IN").aadhaar_id(), [4, 4, 4])),
                  ("Indian Aadhaar compact", lambda fk, r: faker_for("en_IN").aadhaar_id()),
                  ("Indian PAN (individual)", lambda fk, r: in_pan(r))],
    }
    return schemes[locale]


# --------------------------------------------------------------------------------------
# Free-text templates (written for this set). Placeholders -> tags.
# --------------------------------------------------------------------------------------
PH_TAG = {"name": "pii.person_name", "email": "pii.email", "phone": "pii.phone", "iban": "pii.iban",
          "ip": "pii.ip_address", "addr": "pii.address", "card": "pii.payment_card", "nid": "pii.national_id",
          "dob": "pii.date_of_birth"}
TEXT_PII = {
    "en": ["Customer {name} called from {phone} about a late delivery.", "Please send the invoice to {email}, thanks.",
           "Refund to IBAN {iban} approved by finance.", "Delivery address changed to {addr}.",
           "Caller verified, ID on file {nid}.", "DOB given as {dob}, matches record.",
           "Spoke to {name}; prefers e-mail ({email}) over phone.", "Card {card} declined twice, customer informed."],
    "de": ["Kunde {name} hat unter {phone} angerufen, Rückruf erbeten.", "Rechnung bitte an {email} schicken.",
           "Erstattung auf IBAN {iban} veranlasst.", "Neue Lieferadresse: {addr}.", "Geburtsdatum laut Ausweis: {dob}.",
           "Frau/Herr {name} bittet um Kündigung, Bestätigung an {email}."],
    "fr": ["Le client {name} a appelé depuis le {phone}.", "Merci d'envoyer la facture à {email}.",
           "Remboursement sur l'IBAN {iban} validé.", "Nouvelle adresse de livraison : {addr}.",
           "Date de naissance déclarée : {dob}."],
    "es": ["El cliente {name} llamó desde el {phone}.", "Enviar la factura a {email}, por favor.",
           "Reembolso a la cuenta {iban} aprobado.", "Nueva dirección de entrega: {addr}.",
           "Fecha de nacimiento indicada: {dob}.", "Documento verificado: {nid}."],
    "it": ["Il cliente {name} ha chiamato dal numero {phone}.", "Inviare la fattura a {email}.",
           "Rimborso sull'IBAN {iban} autorizzato.", "Nuovo indirizzo di consegna: {addr}.",
           "Codice fiscale comunicato: {nid}."],
    "nl": ["Klant {name} belde vanaf {phone}.", "Factuur graag naar {email} sturen.",
           "Terugbetaling naar IBAN {iban} goedgekeurd.", "Nieuw afleveradres: {addr}."],
    "pt": ["O cliente {name} ligou do número {phone}.", "Enviar a fatura para {email}.",
           "Reembolso para a conta {iban} aprovado.", "Novo endereço de entrega: {addr}.", "Documento conferido: {nid}."],
    "pl": ["Klient {name} dzwonił z numeru {phone}.", "Fakturę proszę wysłać na {email}.",
           "Zwrot na konto {iban} zatwierdzony.", "Nowy adres dostawy: {addr}."],
    "ru": ["Клиент {name} звонил с номера {phone}.", "Счёт отправить на {email}.", "Новый адрес доставки: {addr}.",
           "Документы проверены, номер {nid}."],
    "uk": ["Клієнт {name} телефонував з номера {phone}.", "Рахунок надіслати на {email}.", "Нова адреса доставки: {addr}."],
    "el": ["Ο πελάτης {name} τηλεφώνησε από το {phone}.", "Στείλτε το τιμολόγιο στο {email}.",
           "Επιστροφή χρημάτων στο IBAN {iban} εγκρίθηκε.", "Νέα διεύθυνση αποστολής: {addr}."],
    "ja": ["{name}様より{phone}から問い合わせあり。", "請求書は{email}宛に送付してください。", "配送先を{addr}に変更。",
           "生年月日は{dob}と申告。"],
    "zh": ["客户{name}来电，电话{phone}。", "发票请发送至{email}。", "收货地址改为{addr}。", "身份证号{nid}已核验。"],
    "ko": ["{name} 고객님이 {phone}로 문의함.", "청구서는 {email}로 보내 주세요.", "배송지를 {addr}(으)로 변경."],
    "ar": ["اتصل العميل {name} من الرقم {phone}.", "يرجى إرسال الفاتورة إلى {email}.", "تم تحويل المبلغ إلى الحساب {iban}.",
           "عنوان التوصيل الجديد: {addr}."],
    "hi": ["ग्राहक {name} ने {phone} से कॉल किया।", "कृपया बिल {email} पर भेजें।", "नया डिलीवरी पता: {addr}।"],
    "tr": ["Müşteri {name} {phone} numarasından aradı.", "Faturayı {email} adresine gönderin.",
           "İade {iban} hesabına yapıldı.", "Yeni teslimat adresi: {addr}."],
}
TEXT_CLEAN = {
    "en": ["Package left the warehouse.", "Customer asked about the return policy.", "Ticket closed after 2 reminders.",
           "Duplicate order, cancelled.", "Waiting for supplier confirmation.", "Upgraded plan to premium tier.",
           "Item damaged in transit, replacement sent.", "No answer, will retry tomorrow.", "Invoice paid in full."],
    "de": ["Paket wurde zugestellt.", "Kunde fragt nach Rückgabebedingungen.", "Ticket nach zwei Erinnerungen geschlossen.",
           "Ersatzteil bestellt, Lieferung nächste Woche.", "Doppelte Bestellung storniert.", "Rechnung vollständig bezahlt."],
    "fr": ["Colis remis au transporteur.", "Le client demande la politique de retour.", "Ticket clôturé après deux relances.",
           "Commande en double annulée.", "En attente de confirmation du fournisseur."],
    "es": ["Paquete entregado al transportista.", "El cliente pregunta por la política de devoluciones.",
           "Incidencia cerrada tras dos recordatorios.", "Pedido duplicado anulado.", "Pendiente de confirmación del proveedor."],
    "it": ["Pacco consegnato al corriere.", "Il cliente chiede informazioni sui resi.", "Ticket chiuso dopo due solleciti.",
           "Ordine duplicato annullato."],
    "nl": ["Pakket is bezorgd.", "Klant vraagt naar het retourbeleid.", "Ticket gesloten na twee herinneringen.",
           "Dubbele bestelling geannuleerd."],
    "pt": ["Pacote entregue à transportadora.", "Cliente pergunta sobre a política de devolução.",
           "Chamado encerrado após dois lembretes.", "Pedido duplicado cancelado."],
    "pl": ["Paczka przekazana kurierowi.", "Klient pyta o zasady zwrotów.", "Zgłoszenie zamknięte po dwóch przypomnieniach."],
    "ru": ["Посылка передана курьеру.", "Клиент спрашивает о возврате.", "Заявка закрыта после двух напоминаний.",
           "Дубликат заказа отменён."],
    "uk": ["Посилку передано кур'єру.", "Заявку закрито після двох нагадувань.", "Клієнт питає про повернення."],
    "el": ["Το δέμα παραδόθηκε στον μεταφορέα.", "Ο πελάτης ρωτά για την πολιτική επιστροφών.",
           "Το αίτημα έκλεισε μετά από δύο υπενθυμίσεις."],
    "ja": ["荷物は配送業者に引き渡し済み。", "返品ポリシーについて問い合わせ。", "リマインダー2回の後、チケットをクローズ。", "重複注文をキャンセル。"],
    "zh": ["包裹已交给快递。", "客户询问退货政策。", "两次提醒后工单已关闭。", "重复订单已取消。"],
    "ko": ["택배사에 인계 완료.", "반품 정책 문의.", "알림 두 번 후 티켓 종료.", "중복 주문 취소."],
    "ar": ["تم تسليم الطرد لشركة الشحن.", "العميل يسأل عن سياسة الإرجاع.", "تم إغلاق التذكرة بعد تذكيرين."],
    "hi": ["पार्सल कूरियर को सौंप दिया गया।", "ग्राहक ने वापसी नीति के बारे में पूछा।", "दो अनुस्मारक के बाद टिकट बंद।"],
    "tr": ["Paket kargoya verildi.", "Müşteri iade politikasını sordu.", "Talep iki hatırlatmadan sonra kapatıldı."],
}
LOG_PII = ["{ts} INFO auth login ok user={email} src={ip}", "{ts} WARN sms-gateway retry to={phone} attempt=2",
           "{ts} ERROR payout rejected iban={iban} code=AC04", "{ts} INFO session start ip={ip} ua=mobile",
           "{ts} DEBUG notify email={email} template=welcome_v3"]
LOG_CLEAN = ["{ts} INFO worker-{n} job=etl_daily rows={big} took={ms}ms", "{ts} DEBUG cache hit key={h8}",
             "{ts} WARN disk usage {pct}% on /data", "{ts} INFO release {ver} deployed to eu-west-1",
             "{ts} ERROR job=report_{n} failed: timeout after {ms}ms", "{ts} INFO GET /api/v2/items/{big} 200 {ms}ms"]


# --------------------------------------------------------------------------------------
# Column specs
# --------------------------------------------------------------------------------------
class Col:
    def __init__(self, concept, values, patype, labels, note, *, embedded=False, decoy=False, free_text=False,
                 nullable=True):
        self.concept, self.values, self.patype = concept, values, patype
        self.labels, self.note, self.embedded, self.decoy = labels, note, embedded, decoy
        self.free_text, self.nullable = free_text, nullable


def rand_dob(rng) -> _dt.date:
    return _dt.date(1938, 1, 1) + _dt.timedelta(days=rng.randint(0, (_dt.date(2007, 12, 31) - _dt.date(1938, 1, 1)).days))


def rand_recent(rng, start=_dt.date(2019, 1, 1), end=_dt.date(2025, 12, 31)) -> _dt.date:
    return start + _dt.timedelta(days=rng.randint(0, (end - start).days))


def rand_ts(rng) -> _dt.datetime:
    d = rand_recent(rng)
    return _dt.datetime(d.year, d.month, d.day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


def iso_ts(rng) -> str:
    return rand_ts(rng).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ctx:
    def __init__(self, locale, seed):
        self.locale = locale
        self.lang, self.script = LOCALES.get(locale, ("en", "Latin"))
        self.rng = random.Random(seed)
        self.fake = faker_for(locale)
        self.fake.seed_instance(seed)
        if locale == "hi_IN":  # Aadhaar numbers come from Faker's en_IN provider
            faker_for("en_IN").seed_instance(seed ^ 0x5A5A)


def n_of(ctx, fn):
    return [fn() for _ in range(N_ROWS)]


# ---- PII generators ------------------------------------------------------------------
def g_full_name(ctx):
    styles = ["plain", "upper", "last_first", "title", "initial"]
    if ctx.locale == "ja_JP":
        styles += ["kana", "romanized"]
    style = ctx.rng.choice(styles)
    mix = ctx.rng.random() < 0.3
    def one():
        s = ctx.rng.choice(styles) if mix else style
        return name_value(ctx.fake, ctx.locale, ctx.lang, ctx.rng, s)
    return Col("full_name", n_of(ctx, one), pa.string(), ["pii.person_name"],
               f"person full name, style={'mixed' if mix else style}")


def g_first_name(ctx):
    upper = ctx.rng.random() < 0.2
    vals = n_of(ctx, lambda: ctx.fake.first_name())
    if upper:
        vals = [v.upper() for v in vals]
    return Col("first_name", vals, pa.string(), ["pii.person_name"], "single given names" + (" UPPER CASE" if upper else ""))


def g_last_name(ctx):
    vals = n_of(ctx, lambda: ctx.fake.last_name())
    return Col("last_name", vals, pa.string(), ["pii.person_name"], "family names only")


def g_email(ctx):
    style = ctx.rng.choice(["plain", "plain", "display", "upper", "mixed"])
    def one():
        s = ctx.rng.choice(["plain", "plain", "display", "upper", "mailto"]) if style == "mixed" else style
        return email_value(ctx.fake, ctx.rng, s, name_value(ctx.fake, ctx.locale, ctx.lang, ctx.rng, "plain"))
    return Col("email", n_of(ctx, one), pa.string(), ["pii.email"], f"e-mail addresses, style={style}")


def g_phone(ctx):
    styles = ["as_is", "as_is", "compact", "tel_uri"] + (["arabic_digits"] if ctx.locale == "ar_SA" else [])
    style = ctx.rng.choice(styles)
    return Col("phone", n_of(ctx, lambda: phone_value(ctx.fake, ctx.locale, ctx.rng, style)), pa.string(),
               ["pii.phone"], f"phone numbers (locale formats, national and international), style={style}")


def g_address(ctx):
    style = ctx.rng.choice(["multiline", "oneline", "oneline", "street"])
    return Col("address", n_of(ctx, lambda: address_value(ctx.fake, ctx.locale, ctx.rng, style)), pa.string(),
               ["pii.address"], f"postal address in the locale's layout, style={style}")


def g_iban(ctx):
    style = ctx.rng.choice(["compact", "compact", "grouped", "lower"])
    def one():
        v = own_iban(ctx.rng, ctx.locale, ctx.fake)
        return group4(v) if style == "grouped" else (v.lower() if style == "lower" else v)
    return Col("iban", n_of(ctx, one), pa.string(), ["pii.iban"], f"IBAN, style={style}")


def g_card(ctx):
    style = ctx.rng.choice(["compact", "spaced", "dashed"])
    types_ = ["visa", "mastercard", "amex", "discover", "jcb", "diners", "maestro", "visa16", "visa13"]
    def one():
        t = ctx.rng.choice(types_)
        try:
            v = ctx.fake.credit_card_number(card_type=t)
        except Exception:  # noqa: BLE001 - a locale without that card type: any card number
            v = ctx.fake.credit_card_number()
        return group4(v) if style == "spaced" else (group4(v, "-") if style == "dashed" else v)
    return Col("card", n_of(ctx, one), pa.string(), ["pii.payment_card"], f"payment card numbers (Luhn-valid), style={style}")


def g_ip(ctx):
    style = ctx.rng.choice(["v4", "v4", "v6", "mixed", "v4_private"])
    def one():
        s = ctx.rng.choice(["v4", "v6"]) if style == "mixed" else style
        if s == "v6":
            return ctx.fake.ipv6()
        if s == "v4_private":
            return ctx.fake.ipv4_private()
        return ctx.fake.ipv4_public()
    return Col("ip", n_of(ctx, one), pa.string(), ["pii.ip_address"], f"client IP addresses, style={style}")


def g_national_id(ctx):
    schemes = national_id_schemes(ctx.locale)
    desc, fn = ctx.rng.choice(schemes)
    return Col("national_id", n_of(ctx, lambda: fn(ctx.fake, ctx.rng)), pa.string(), ["pii.national_id"], desc)


def g_dob_str(ctx):
    fmts = NUMERIC_DATE_FORMATS.get(ctx.locale, ["%Y-%m-%d"]) + ["%Y-%m-%d", "long", "long"]
    if ctx.lang == "en":
        fmts += ["en_abbr"]
    fmt = ctx.rng.choice(fmts)
    mixed = ctx.rng.random() < 0.15
    def one():
        f = ctx.rng.choice(fmts) if mixed else fmt
        return fmt_date(rand_dob(ctx.rng), f, ctx.lang)
    return Col("dob", n_of(ctx, one), pa.string(), ["pii.date_of_birth"],
               f"date of birth as text, format={'mixed' if mixed else fmt}")


def g_dob_typed(ctx):
    if ctx.rng.random() < 0.6:
        return Col("dob", n_of(ctx, lambda: rand_dob(ctx.rng)), pa.date32(), ["pii.date_of_birth"],
                   "date of birth, DATE column")
    vals = n_of(ctx, lambda: _dt.datetime.combine(rand_dob(ctx.rng), _dt.time()))
    return Col("dob", vals, pa.timestamp("us"), ["pii.date_of_birth"], "date of birth, TIMESTAMP column (midnight)")


def _fill(ctx, tmpl, iban_ok=True):
    lang = ctx.lang
    vals = {}
    if "{name}" in tmpl:
        vals["name"] = name_value(ctx.fake, ctx.locale, lang, ctx.rng, ctx.rng.choice(["plain", "plain", "title"]))
    if "{email}" in tmpl:
        vals["email"] = email_value(ctx.fake, ctx.rng, "plain")
    if "{phone}" in tmpl:
        vals["phone"] = phone_value(ctx.fake, ctx.locale, ctx.rng, "as_is")
    if "{iban}" in tmpl:
        v = own_iban(ctx.rng, ctx.locale if ctx.locale in IBAN_LOCALES else "de_DE", ctx.fake)
        vals["iban"] = group4(v) if ctx.rng.random() < 0.5 else v
    if "{addr}" in tmpl:
        vals["addr"] = address_value(ctx.fake, ctx.locale, ctx.rng, "oneline")
    if "{card}" in tmpl:
        vals["card"] = ctx.fake.credit_card_number()
    if "{nid}" in tmpl:
        vals["nid"] = ctx.rng.choice(national_id_schemes(ctx.locale))[1](ctx.fake, ctx.rng)
    if "{dob}" in tmpl:
        vals["dob"] = fmt_date(rand_dob(ctx.rng), ctx.rng.choice(NUMERIC_DATE_FORMATS.get(ctx.locale, ["%Y-%m-%d"]) + ["long"]), lang)
    if "{ip}" in tmpl:
        vals["ip"] = ctx.fake.ipv4_public()
    vals.update(ts=iso_ts(ctx.rng), n=ctx.rng.randint(1, 16), big=ctx.rng.randint(1000, 999999),
                ms=ctx.rng.randint(3, 9000), h8=uuid.UUID(int=ctx.rng.getrandbits(128)).hex[:8],
                pct=ctx.rng.randint(70, 99), ver=f"{ctx.rng.randint(1, 9)}.{ctx.rng.randint(0, 30)}.{ctx.rng.randint(0, 9)}")
    return tmpl.format(**vals)


def _tags_of(tmpls):
    tags = set()
    for t in tmpls:
        for ph, tag in PH_TAG.items():
            if "{" + ph + "}" in t:
                tags.add(tag)
    return tags


def g_text_pii(ctx):
    """Free-text notes with PII embedded in a share of the rows."""
    lang = ctx.lang if ctx.lang in TEXT_PII else "en"
    pool = [t for t in TEXT_PII[lang] if "{iban}" not in t or ctx.locale in IBAN_LOCALES]
    k = ctx.rng.randint(1, min(3, len(pool)))
    chosen = ctx.rng.sample(pool, k)
    clean = TEXT_CLEAN.get(lang, TEXT_CLEAN["en"])
    share = ctx.rng.choice([0.3, 0.5, 0.7, 1.0])
    used = set()
    vals = []
    for _ in range(N_ROWS):
        if ctx.rng.random() < share:
            t = ctx.rng.choice(chosen)
            used.add(t)
            s = _fill(ctx, t)
            if ctx.rng.random() < 0.3:
                s = ctx.rng.choice(clean) + " " + s
            vals.append(s)
        else:
            vals.append(ctx.rng.choice(clean))
    tags = sorted(_tags_of(used))
    note = f"free-text notes ({lang}); ~{int(share * 100)}% of rows embed PII ({', '.join(t.split('.')[1] for t in tags)})"
    return Col("notes", vals, pa.string(), tags, note, embedded=True, free_text=True)


def g_log_pii(ctx):
    k = ctx.rng.randint(1, 3)
    pool = [t for t in LOG_PII if "{iban}" not in t or ctx.locale in IBAN_LOCALES]
    chosen = ctx.rng.sample(pool, k)
    share = ctx.rng.choice([0.3, 0.5, 0.8])
    used, vals = set(), []
    for _ in range(N_ROWS):
        if ctx.rng.random() < share:
            t = ctx.rng.choice(chosen)
            used.add(t)
            vals.append(_fill(ctx, t))
        else:
            vals.append(_fill(ctx, ctx.rng.choice(LOG_CLEAN)))
    tags = sorted(_tags_of(used))
    return Col("log", vals, pa.string(), tags,
               f"log lines; ~{int(share * 100)}% embed PII ({', '.join(t.split('.')[1] for t in tags)})",
               embedded=True, free_text=True)


# ---- non-PII generators (decoys and plain columns) -----------------------------------
def d_text_clean(ctx):
    lang = ctx.lang if ctx.lang in TEXT_CLEAN else "en"
    if ctx.rng.random() < 0.5 and ctx.lang not in ("ko", "ar", "hi", "tr", "uk", "pt", "cs", "da", "fi", "sv", "el"):
        vals = n_of(ctx, lambda: ctx.fake.text(max_nb_chars=ctx.rng.choice([60, 120, 200])).replace("\n", " "))
        return Col("notes", vals, pa.string(), [], "decoy: free text (Faker lorem in the locale's words), no PII",
                   decoy=True, free_text=True)
    vals = n_of(ctx, lambda: ctx.rng.choice(TEXT_CLEAN[lang]))
    return Col("notes", vals, pa.string(), [], f"decoy: free-text notes ({lang}) without PII", decoy=True, free_text=True)


def d_log_clean(ctx):
    return Col("log", n_of(ctx, lambda: _fill(ctx, ctx.rng.choice(LOG_CLEAN))), pa.string(), [],
               "decoy: log lines without PII (jobs, cache keys, versions, URL paths)", decoy=True, free_text=True)


def d_version_ipv4(ctx):
    vals = n_of(ctx, lambda: f"{ctx.rng.choice([1, 2, 3, 4, 5, 8, 10, 11, 12, 16])}.{ctx.rng.randint(0, 12)}."
                             f"{ctx.rng.randint(0, 40)}.{ctx.rng.randint(0, 250)}")
    return Col("firmware_version", vals, pa.string(), [], "decoy: version strings that parse as IPv4", decoy=True)


def d_semver(ctx):
    vals = n_of(ctx, lambda: f"{ctx.rng.randint(0, 9)}.{ctx.rng.randint(0, 30)}.{ctx.rng.randint(0, 99)}"
                             + ctx.rng.choice(["", "", "-beta", "-rc1", "+build.5"]))
    return Col("app_version", vals, pa.string(), [], "decoy: semantic version strings", decoy=True)


def d_order_luhn(ctx):
    length = ctx.rng.choice([10, 11, 12, 14, 16])
    vals = n_of(ctx, lambda: luhn_number(ctx.rng, length, ctx.rng.choice(["1", "7", "8", "9"])))
    return Col("order_no", vals, pa.string(), [], f"decoy: order numbers ({length} digits) that pass the Luhn check",
               decoy=True, nullable=False)


def d_sku(ctx):
    style = ctx.rng.choice(["sku", "ean"])
    if style == "ean":
        return Col("sku", n_of(ctx, lambda: ean13(ctx.rng)), pa.string(), [], "decoy: EAN-13 product barcodes",
                   decoy=True, nullable=False)
    vals = n_of(ctx, lambda: ctx.fake.bothify(ctx.rng.choice(["SKU-####-??", "??-#####", "P####??##", "###-###-###"])).upper())
    return Col("sku", vals, pa.string(), [], "decoy: product codes / SKUs", decoy=True, nullable=False)


OPT_IN_NAMES = ["email_opt_in", "sms_opt_in", "phone_verified", "email_verified", "newsletter_consent", "has_address",
                "dob_verified", "name_confirmed", "iban_validated", "card_on_file", "ip_allowlist_enabled",
                "marketing_email_ok", "contact_by_phone", "address_is_billing"]


def d_flag(ctx):
    name = ctx.rng.choice(OPT_IN_NAMES)
    if ctx.rng.random() < 0.7:
        vals = n_of(ctx, lambda: ctx.rng.random() < 0.6)
        return Col("flag:" + name, vals, pa.bool_(), [], f"decoy: boolean flag next to a PII-sounding name ({name})", decoy=True)
    yes_no = ctx.rng.choice([("Y", "N"), ("yes", "no"), ("1", "0"), ("true", "false"), ("ja", "nein"), ("oui", "non"), ("sí", "no")])
    vals = n_of(ctx, lambda: yes_no[0] if ctx.rng.random() < 0.6 else yes_no[1])
    return Col("flag:" + name, vals, pa.string(), [], f"decoy: yes/no flag as text next to a PII-sounding name ({name})", decoy=True)


def d_event_ts(ctx):
    return Col("created_at", n_of(ctx, lambda: rand_ts(ctx.rng)), pa.timestamp("us"), [],
               "decoy: event timestamps (not birth dates)", decoy=True)


def d_event_date_str(ctx):
    fmts = NUMERIC_DATE_FORMATS.get(ctx.locale, ["%Y-%m-%d"]) + ["%Y-%m-%d", "long"]
    fmt = ctx.rng.choice(fmts)
    return Col("order_date", n_of(ctx, lambda: fmt_date(rand_recent(ctx.rng), fmt, ctx.lang)), pa.string(), [],
               f"decoy: event dates as text (2019-2025), format={fmt}; not birth dates", decoy=True)


def d_event_date_typed(ctx):
    return Col("order_date", n_of(ctx, lambda: rand_recent(ctx.rng)), pa.date32(), [],
               "decoy: DATE column of order/delivery dates (not birth dates)", decoy=True)


def d_hire_date(ctx):
    vals = n_of(ctx, lambda: rand_recent(ctx.rng, _dt.date(1995, 1, 1), _dt.date(2025, 6, 30)))
    return Col("hire_date", vals, pa.date32(), [], "decoy: hire / contract start dates (not birth dates)", decoy=True)


LEGAL_FORM = {"de": "GmbH", "fr": "SARL", "es": "S.L.", "it": "S.r.l.", "nl": "B.V.", "pt": "Lda.", "pl": "Sp. z o.o.",
              "sv": "AB", "da": "ApS", "fi": "Oy", "cs": "s.r.o.", "tr": "A.Ş.", "ru": "ООО", "uk": "ТОВ", "el": "Α.Ε.",
              "en": "Ltd", "hi": "प्रा. लि."}


def company_value(fake: Faker, lang: str, rng: random.Random) -> str:
    """Faker sometimes returns a bare surname as a company; keep only values that read as a company."""
    if lang == "ar":
        return f"شركة {fake.last_name()} {rng.choice(['للتجارة', 'للمقاولات', 'القابضة', 'للتقنية'])}"
    v = fake.company()
    if lang in ("ja", "zh", "ko") or " " in v.strip():
        return v
    form = LEGAL_FORM.get(lang, "Ltd")
    return f"{form} «{v}»" if lang in ("ru", "uk") else f"{v} {form}"


def d_company(ctx):
    vals = n_of(ctx, lambda: company_value(ctx.fake, ctx.lang, ctx.rng))
    return Col("company", vals, pa.string(), [], "decoy: company names (organisations, not persons)", decoy=True)


def d_city(ctx):
    if ctx.locale == "ar_SA":
        vals = n_of(ctx, lambda: ctx.rng.choice(SA_CITIES))
    elif ctx.locale == "tr_TR":
        vals = n_of(ctx, lambda: ctx.rng.choice(TR_CITIES)[1])
    else:
        vals = n_of(ctx, lambda: ctx.fake.city())
    return Col("city", vals, pa.string(), [], "decoy: city alone (not an address)", decoy=True)


def d_country(ctx):
    if ctx.rng.random() < 0.5:
        return Col("country", n_of(ctx, lambda: ctx.fake.country_code()), pa.string(), [], "decoy: ISO country codes", decoy=True)
    return Col("country", n_of(ctx, lambda: ctx.fake.country()), pa.string(), [], "decoy: country names alone", decoy=True)


def d_zip(ctx):
    if ctx.locale == "ar_SA":
        vals = n_of(ctx, lambda: str(ctx.rng.randint(11000, 34999)))
    elif ctx.locale == "tr_TR":
        vals = n_of(ctx, lambda: f"{ctx.rng.randint(1, 81):02d}{ctx.rng.randint(100, 999)}")
    else:
        vals = n_of(ctx, lambda: ctx.fake.postcode())
    return Col("zip", vals, pa.string(), [], "decoy: postal codes alone (not an address)", decoy=True)


def d_amount(ctx):
    style = ctx.rng.choice(["float", "str_eu", "str_us", "decimal"])
    if style == "float":
        return Col("amount", n_of(ctx, lambda: round(ctx.rng.uniform(1, 5000), 2)), pa.float64(), [],
                   "decoy: currency amounts", decoy=True)
    if style == "decimal":
        import decimal
        return Col("amount", n_of(ctx, lambda: decimal.Decimal(f"{ctx.rng.uniform(1, 99999):.2f}")), pa.decimal128(12, 2),
                   [], "decoy: currency amounts (DECIMAL)", decoy=True)
    cur = ctx.rng.choice(["€", "EUR", "$", "zł", "kr", "₽", "¥", "₺", "SAR", "₹", "R$"])
    def one():
        v = ctx.rng.uniform(1, 20000)
        s = f"{v:,.2f}"
        if style == "str_eu":
            s = s.replace(",", "X").replace(".", ",").replace("X", ".")
        return f"{s} {cur}" if ctx.rng.random() < 0.7 else f"{cur}{s}"
    return Col("amount", n_of(ctx, one), pa.string(), [], "decoy: currency amounts as text", decoy=True)


def d_uuid(ctx):
    return Col("uuid", n_of(ctx, lambda: str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))), pa.string(), [],
               "decoy: UUIDs", decoy=True, nullable=False)


def d_hash(ctx):
    kind = ctx.rng.choice(["sha256", "md5", "sha1"])
    def one():
        return hashlib.new(kind, str(ctx.rng.random()).encode()).hexdigest()
    name = ctx.rng.choice(["email_sha256", "name_hash", "checksum", "content_hash", "phone_hash"]) if kind == "sha256" else "checksum"
    return Col("hash:" + name, n_of(ctx, one), pa.string(), [], f"decoy: {kind} hex digests (pseudonymous hashes, not PII)",
               decoy=True)


def d_user_agent(ctx):
    return Col("user_agent", n_of(ctx, lambda: ctx.fake.user_agent()), pa.string(), [], "decoy: user-agent strings", decoy=True)


def d_status(ctx):
    opts = ctx.rng.choice([["new", "open", "pending", "closed"], ["active", "inactive", "suspended"],
                           ["shipped", "delivered", "returned", "cancelled"], ["A", "B", "C"], ["gold", "silver", "bronze"]])
    return Col("status", n_of(ctx, lambda: ctx.rng.choice(opts)), pa.string(), [], "plain: status enum", decoy=False)


def d_quantity(ctx):
    return Col("qty", n_of(ctx, lambda: ctx.rng.randint(1, 50)), pa.int64(), [], "plain: quantities", nullable=False)


def d_int_id(ctx):
    start = ctx.rng.randint(1, 900000)
    vals = list(range(start, start + N_ROWS))
    return Col("id", vals, pa.int64(), [], "plain: surrogate integer keys", nullable=False)


def d_email_domain(ctx):
    return Col("email_domain", n_of(ctx, lambda: ctx.fake.free_email_domain() if ctx.rng.random() < 0.6 else ctx.fake.domain_name()),
               pa.string(), [], "decoy: e-mail domains only (no local part)", decoy=True)


def d_phone_cc(ctx):
    return Col("phone_country_code", n_of(ctx, lambda: ctx.rng.choice(["+1", "+44", "+49", "+33", "+34", "+39", "+31", "+55",
                                                                       "+351", "+48", "+46", "+45", "+358", "+420", "+90",
                                                                       "+7", "+380", "+30", "+81", "+86", "+82", "+966", "+91"])),
               pa.string(), [], "decoy: phone country calling codes only", decoy=True)


def d_card_meta(ctx):
    if ctx.rng.random() < 0.5:
        return Col("card_brand", n_of(ctx, lambda: ctx.rng.choice(["VISA", "Mastercard", "AMEX", "Maestro", "JCB", "UnionPay"])),
                   pa.string(), [], "decoy: card brand names", decoy=True)
    return Col("card_expiry", n_of(ctx, lambda: f"{ctx.rng.randint(1, 12):02d}/{ctx.rng.randint(26, 33)}"), pa.string(), [],
               "decoy: card expiry MM/YY alone (not a card number)", decoy=True)


def d_address_type(ctx):
    return Col("address_type", n_of(ctx, lambda: ctx.rng.choice(["home", "billing", "shipping", "work", "other"])), pa.string(),
               [], "decoy: address type enum next to address columns", decoy=True)


def d_url(ctx):
    return Col("url", n_of(ctx, lambda: ctx.fake.url() + ctx.rng.choice(["", "products/", "help/faq", "cart"])), pa.string(), [],
               "decoy: website URLs (no personal data)", decoy=True)


def d_hostname(ctx):
    return Col("hostname", n_of(ctx, lambda: f"{ctx.rng.choice(['web', 'db', 'api', 'cache', 'worker'])}-{ctx.rng.randint(1, 40):02d}."
                                             f"{ctx.rng.choice(['eu-west-1', 'us-east-2', 'internal', 'prod.local'])}"),
               pa.string(), [], "decoy: server hostnames", decoy=True)


def d_invoice(ctx):
    return Col("invoice_no", n_of(ctx, lambda: f"{ctx.rng.choice(['INV', 'RE', 'FA', 'FT', 'NF'])}-{ctx.rng.randint(2019, 2025)}-"
                                               f"{ctx.rng.randint(1, 999999):06d}"), pa.string(), [],
               "decoy: invoice numbers", decoy=True, nullable=False)


def d_tracking(ctx):
    return Col("tracking_no", n_of(ctx, lambda: ctx.rng.choice([
        "1Z" + ctx.fake.bothify("###??##########").upper(),
        ctx.fake.bothify("??#########??").upper(),
        rand_digits(ctx.rng, 12)])), pa.string(), [], "decoy: parcel tracking numbers", decoy=True)


def d_score(ctx):
    return Col("score", n_of(ctx, lambda: round(ctx.rng.random(), 4)), pa.float64(), [], "plain: model scores / ratios")


def d_currency(ctx):
    return Col("currency", n_of(ctx, lambda: ctx.fake.currency_code()), pa.string(), [], "plain: ISO currency codes")


def d_job(ctx):
    return Col("job", n_of(ctx, lambda: ctx.fake.job()), pa.string(), [], "decoy: job titles (not names)", decoy=True)


def d_age_group(ctx):
    return Col("age_group", n_of(ctx, lambda: ctx.rng.choice(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])), pa.string(),
               [], "decoy: age bands (not a date of birth)", decoy=True)


PII_GENS = {"full_name": g_full_name, "first_name": g_first_name, "last_name": g_last_name, "email": g_email,
            "phone": g_phone, "address": g_address, "iban": g_iban, "card": g_card, "ip": g_ip,
            "national_id": g_national_id, "dob_str": g_dob_str, "dob_typed": g_dob_typed}
TEXT_GENS = {"text_pii": g_text_pii, "log_pii": g_log_pii}
COMPANIONS = {
    "full_name": [d_hash, d_job], "first_name": [d_age_group], "last_name": [d_company],
    "email": [d_flag, d_email_domain, d_hash], "phone": [d_flag, d_phone_cc], "address": [d_address_type, d_city, d_zip, d_country],
    "iban": [d_flag, d_currency], "card": [d_card_meta, d_order_luhn], "ip": [d_version_ipv4, d_user_agent, d_hostname],
    "national_id": [d_flag], "dob_str": [d_event_date_str, d_age_group, d_flag], "dob_typed": [d_event_ts, d_hire_date],
}
FILLERS = [d_version_ipv4, d_semver, d_order_luhn, d_sku, d_flag, d_event_ts, d_event_date_str, d_event_date_typed,
           d_hire_date, d_company, d_city, d_country, d_zip, d_amount, d_uuid, d_hash, d_user_agent, d_status, d_quantity,
           d_email_domain, d_phone_cc, d_card_meta, d_address_type, d_url, d_hostname, d_invoice, d_tracking, d_score,
           d_currency, d_job, d_age_group, d_text_clean, d_log_clean]

DECOY_NAME = {  # concept -> english descriptive names (decoys mostly use English / localized when in V)
    "firmware_version": "firmware_version|fw_version|build|os_version|version", "app_version": "app_version|sdk_version|release",
    "sku": "sku|product_code|article_no|ean|item_code|artikelnummer|codigo_producto", "uuid": "uuid|guid|customer_uuid|request_id|session_id",
    "user_agent": "user_agent|ua|browser", "qty": "qty|quantity|menge|cantidad|quantita", "id": "id|row_id|customer_id|user_id|pk",
    "email_domain": "email_domain|mail_domain", "phone_country_code": "phone_country_code|dial_code|phone_prefix",
    "card_brand": "card_brand|card_type|payment_brand", "card_expiry": "card_expiry|exp|valid_thru",
    "address_type": "address_type|addr_kind", "url": "url|website|homepage|referrer", "hostname": "hostname|server|node",
    "invoice_no": "invoice_no|invoice_number|rechnungsnummer|factura", "tracking_no": "tracking_no|tracking_number|sendungsnummer",
    "score": "score|churn_score|ratio|propensity", "currency": "currency|ccy|waehrung|moneda", "job": "job|job_title|position|beruf|puesto",
    "age_group": "age_group|age_band|altersgruppe", "hire_date": "hire_date|start_date|contract_start|eintrittsdatum|fecha_alta_empleado",
    "log": "log|log_line|event|message|raw_log",
}


def pick(rng, spec: str) -> str:
    return rng.choice(spec.split("|"))


def column_name(ctx: Ctx, col: Col, pos: int, uninformative: bool) -> tuple[str, str]:
    """Return (name, name_kind)."""
    rng, lang = ctx.rng, ctx.lang
    concept = col.concept
    base = {"dob_str": "dob", "dob_typed": "dob"}.get(concept, concept)
    if uninformative:
        role = ROLE_OPAQUE.get("notes" if col.free_text else base)
        if role and rng.random() < 0.5:
            w = rng.choice(role)
            return w.format(i=pos), ("descriptive" if w in DESCRIPTIVE_ROLE_WORDS else "uninformative")
        return rng.choice(GENERIC_OPAQUE).format(i=pos), "uninformative"
    if concept.startswith("flag:") or concept.startswith("hash:"):
        return concept.split(":", 1)[1], "descriptive"
    if base == "national_id":
        return pick(rng, NATIONAL_ID_NAMES[ctx.locale]), "descriptive"
    if col.free_text and base == "log":
        return pick(rng, DECOY_NAME["log"]), "descriptive"
    if col.free_text:
        base = "notes"
    if base in V:
        if rng.random() < 0.25 and base not in ("notes",):
            return pick(rng, V[base]["en"]), "descriptive"
        return pick(rng, V[base].get(lang, V[base]["en"])), "descriptive"
    if base in DECOY_NAME:
        return pick(rng, DECOY_NAME[base]), "descriptive"
    return base, "descriptive"


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------
THEMES = ["customers", "orders", "support_tickets", "employees", "members", "shipments", "payments", "patients",
          "accounts", "events", "contacts", "subscriptions", "export", "crm_dump", "legacy"]


def pii_slots(locale: str) -> list[str]:
    slots = ["full_name", "full_name", "full_name", "first_name", "last_name", "email", "email", "phone", "phone",
             "address", "address", "national_id", "national_id", "card", "ip", "dob_str", "dob_str", "dob_typed",
             "text_pii", "text_pii", "log_pii"]
    if locale in IBAN_LOCALES:
        slots += ["iban", "iban"]
    else:
        slots += ["card", "phone"]
    return slots


def inject_nulls(col: Col, rng: random.Random):
    if not col.nullable:
        return
    rate = rng.choice([0.0, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2]) if (col.labels or col.free_text) else rng.choice([0.0, 0.0, 0.03, 0.1])
    if rate == 0:
        return
    is_str = pa.types.is_string(col.patype)
    blanks = ["", " ", "N/A", "-", "null"] if is_str else [None]
    for i in range(N_ROWS):
        if rng.random() < rate:
            col.values[i] = rng.choice(blanks) if (is_str and rng.random() < 0.35) else None


def build_table(tname: str, locale: str, slots: list[str], table_seed: int, n_target: int):
    rng = random.Random(table_seed)
    blocks: list[list[Col]] = []
    k = 0
    for slot in slots:
        ctx = Ctx(locale, seed_of(tname, k, slot))
        k += 1
        col = (PII_GENS.get(slot) or TEXT_GENS[slot])(ctx)
        col.slot = slot
        block = [col]
        comp = COMPANIONS.get(slot)
        if comp and rng.random() < 0.45:
            ctx2 = Ctx(locale, seed_of(tname, k, "companion"))
            k += 1
            dc = rng.choice(comp)(ctx2)
            dc.slot = "decoy"
            block.append(dc)
        blocks.append(block)
    n_cols = sum(len(b) for b in blocks)
    fill_order = FILLERS[:]
    rng.shuffle(fill_order)
    fi = 0
    while n_cols < n_target:
        ctx = Ctx(locale, seed_of(tname, k, "filler"))
        k += 1
        dc = fill_order[fi % len(fill_order)](ctx)
        fi += 1
        dc.slot = "decoy"
        blocks.append([dc])
        n_cols += 1
    rng.shuffle(blocks)
    # id column first, sometimes
    cols = [c for b in blocks for c in b]
    if rng.random() < 0.6:
        ctx = Ctx(locale, seed_of(tname, k, "id"))
        c = d_int_id(ctx)
        c.slot = "decoy"
        cols.insert(0, c)
    names, out_cols, records = set(), [], []
    for pos, col in enumerate(cols, start=1):
        nctx = Ctx(locale, seed_of(tname, pos, "name"))
        if col.labels and not col.embedded:
            unin = nctx.rng.random() < 0.36
        elif col.embedded:
            unin = nctx.rng.random() < 0.25
        else:
            unin = nctx.rng.random() < 0.15 and col.concept != "id"
        name, kind = column_name(nctx, col, pos, unin)
        base = name
        j = 2
        while name.lower() in names:
            name = f"{base}_{j}"
            j += 1
        names.add(name.lower())
        inject_nulls(col, random.Random(seed_of(tname, pos, "nulls")))
        out_cols.append((name, col))
        records.append({"table": tname, "column": name, "locale": locale,
                        "script": LOCALES[locale][1] if locale in LOCALES else "mixed",
                        "labels": sorted(col.labels), "embedded": bool(col.embedded), "note": col.note,
                        "name_kind": kind, "decoy": bool(col.decoy and not col.labels),
                        "free_text": bool(col.free_text), "dtype": str(col.patype),
                        "value_script": value_script(col.values),
                        "null_or_blank_share": round(sum(1 for v in col.values if v is None or (isinstance(v, str) and v.strip() in ("", "N/A", "-", "null"))) / N_ROWS, 3)})
    table = pa.table({name: pa.array(col.values, type=col.patype) for name, col in out_cols})
    return table, records


SCRIPT_OF = [("LATIN", "Latin"), ("CYRILLIC", "Cyrillic"), ("GREEK", "Greek"), ("CJK", "CJK"), ("HIRAGANA", "CJK"),
             ("KATAKANA", "CJK"), ("HANGUL", "CJK"), ("ARABIC", "Arabic"), ("DEVANAGARI", "Devanagari")]


def value_script(values) -> str:
    c = Counter()
    for v in values[:80]:
        if not isinstance(v, str):
            continue
        for ch in v:
            if ch.isalpha():
                nm = unicodedata.name(ch, "")
                for key, sc in SCRIPT_OF:
                    if nm.startswith(key) or (key == "CJK" and "CJK" in nm) or (key == "HANGUL" and "HANGUL" in nm):
                        c[sc] += 1
                        break
    if not c:
        return "Common"
    top = c.most_common()
    if len(top) > 1 and top[1][1] > 0.25 * top[0][1]:
        return "+".join(sorted(s for s, n in top if n > 0.25 * top[0][1]))
    return top[0][0]


def build_multilocale_table(tname: str, locales: list[str], seed: int):
    """International customer list: each row from a different locale (mixed scripts)."""
    rng = random.Random(seed)
    gens = [("full_name", lambda c: name_value(c.fake, c.locale, c.lang, c.rng, c.rng.choice(["plain", "upper", "title"])),
             ["pii.person_name"], "person names, rows from many locales"),
            ("email", lambda c: email_value(c.fake, c.rng, c.rng.choice(["plain", "display"])), ["pii.email"], "e-mails, many locales"),
            ("phone", lambda c: phone_value(c.fake, c.locale, c.rng, "as_is"), ["pii.phone"], "phones, many countries"),
            ("address", lambda c: address_value(c.fake, c.locale, c.rng, "oneline"), ["pii.address"], "addresses, many layouts"),
            ("dob_str", lambda c: fmt_date(rand_dob(c.rng), c.rng.choice(NUMERIC_DATE_FORMATS[c.locale] + ["long"]), c.lang),
             ["pii.date_of_birth"], "dates of birth, each row in its locale's format"),
            ("national_id", lambda c: c.rng.choice(national_id_schemes(c.locale))[1](c.fake, c.rng), ["pii.national_id"],
             "national IDs of many countries"),
            ("city", lambda c: c.fake.city() if c.locale not in ("ar_SA", "tr_TR") else
              (c.rng.choice(SA_CITIES) if c.locale == "ar_SA" else c.rng.choice(TR_CITIES)[1]), [],
             "decoy: city alone, many locales"),
            ("company", lambda c: company_value(c.fake, c.lang, c.rng), [], "decoy: company names, many locales")]
    rng.shuffle(gens)
    chosen = gens[: rng.randint(5, 8)]
    cols = []
    for gi, (concept, fn, labels, note) in enumerate(chosen):
        vals = []
        for r in range(N_ROWS):
            loc = locales[(r + gi) % len(locales)]
            c = Ctx(loc, seed_of(tname, gi, r))
            vals.append(fn(c))
        col = Col(concept, vals, pa.string(), labels, note, decoy=not labels)
        cols.append(col)
    for filler in (d_uuid, d_amount, d_event_ts, d_flag, d_sku):
        if len(cols) >= 12:
            break
        cols.append(filler(Ctx("en_US", seed_of(tname, "f", filler.__name__))))
    out, records, names = [], [], set()
    for pos, col in enumerate(cols, start=1):
        nctx = Ctx("en_US", seed_of(tname, pos, "name"))
        unin = bool(col.labels) and nctx.rng.random() < 0.36
        name, kind = column_name(nctx, col, pos, unin)
        while name.lower() in names:
            name += "_2"
        names.add(name.lower())
        inject_nulls(col, random.Random(seed_of(tname, pos, "nulls")))
        out.append((name, col))
        records.append({"table": tname, "column": name, "locale": "multi", "script": "mixed",
                        "labels": sorted(col.labels), "embedded": False, "note": col.note, "name_kind": kind,
                        "decoy": bool(col.decoy and not col.labels), "free_text": False, "dtype": str(col.patype),
                        "value_script": value_script(col.values),
                        "null_or_blank_share": round(sum(1 for v in col.values if v is None or (isinstance(v, str) and v.strip() in ("", "N/A", "-", "null"))) / N_ROWS, 3)})
    return pa.table({n: pa.array(c.values, type=c.patype) for n, c in out}), records


# --------------------------------------------------------------------------------------
def main() -> int:
    TABLES_DIR.mkdir(parents=True, exist_ok=True)
    for old in TABLES_DIR.glob("*.parquet"):
        old.unlink()
    all_records = []
    tcount = 0
    for _li, locale in enumerate(LOCALES):
        slots = pii_slots(locale)
        rng = random.Random(seed_of("slots", locale))
        rng.shuffle(slots)
        n_tables = 4
        per = [slots[i::n_tables] for i in range(n_tables)]
        themes = rng.sample(THEMES, n_tables)
        for ti in range(n_tables):
            tcount += 1
            tname = f"{locale.lower()}_{themes[ti]}" if rng.random() < 0.75 else f"t{tcount:03d}_{locale.lower()}"
            n_target = rng.randint(11, 14)
            table, records = build_table(tname, locale, per[ti], seed_of(tname, "table"), n_target)
            pq.write_table(table, TABLES_DIR / f"{tname}.parquet", compression="zstd")
            all_records += records
    groups = [["en_US", "de_DE", "fr_FR", "ja_JP", "ru_RU", "ar_SA", "hi_IN", "el_GR"],
              ["es_ES", "it_IT", "pt_BR", "zh_CN", "ko_KR", "uk_UA", "tr_TR", "nl_NL"],
              ["en_GB", "pl_PL", "sv_SE", "da_DK", "fi_FI", "cs_CZ", "pt_PT", "el_GR"],
              ["ja_JP", "zh_CN", "ko_KR", "hi_IN", "ar_SA", "ru_RU", "en_US", "de_DE"]]
    for gi, g in enumerate(groups):
        tname = f"intl_customers_{gi + 1}"
        table, records = build_multilocale_table(tname, g, seed_of(tname))
        pq.write_table(table, TABLES_DIR / f"{tname}.parquet", compression="zstd")
        all_records += records
    (HERE / "labels.json").write_text(json.dumps(all_records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = summarize(all_records)
    (HERE / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return verify(all_records, summary)


def summarize(recs):
    pii = [r for r in recs if r["labels"]]
    per_class = Counter()
    per_class_direct = Counter()
    per_class_embedded = Counter()
    for r in pii:
        for t in r["labels"]:
            per_class[t] += 1
            (per_class_embedded if r["embedded"] else per_class_direct)[t] += 1
    return {
        "tables": len({r["table"] for r in recs}),
        "columns": len(recs),
        "rows_per_table": N_ROWS,
        "pii_columns": len(pii),
        "pii_columns_direct": sum(1 for r in pii if not r["embedded"]),
        "pii_columns_embedded": sum(1 for r in pii if r["embedded"]),
        "non_pii_columns": len(recs) - len(pii),
        "decoy_columns": sum(1 for r in recs if r["decoy"]),
        "free_text_columns": sum(1 for r in recs if r["free_text"]),
        "free_text_without_pii": sum(1 for r in recs if r["free_text"] and not r["labels"]),
        "per_class": dict(sorted(per_class.items())),
        "per_class_direct": dict(sorted(per_class_direct.items())),
        "per_class_embedded": dict(sorted(per_class_embedded.items())),
        "pii_direct_uninformative_names": sum(1 for r in pii if not r["embedded"] and r["name_kind"] == "uninformative"),
        "per_locale_columns": dict(sorted(Counter(r["locale"] for r in recs).items())),
        "per_locale_pii_columns": dict(sorted(Counter(r["locale"] for r in pii).items())),
        "per_script_columns": dict(sorted(Counter(r["script"] for r in recs).items())),
        "per_value_script_pii_columns": dict(sorted(Counter(r["value_script"] for r in pii).items())),
        "dtypes": dict(sorted(Counter(r["dtype"] for r in recs).items())),
        "locales": len({r["locale"] for r in recs if r["locale"] != "multi"}),
        "scripts": sorted({r["script"] for r in recs if r["script"] != "mixed"}),
    }


def verify(recs, summary) -> int:
    problems = []
    by_table = {}
    for r in recs:
        by_table.setdefault(r["table"], []).append(r["column"])
    files = sorted(TABLES_DIR.glob("*.parquet"))
    if len(files) != len(by_table):
        problems.append(f"{len(files)} parquet files vs {len(by_table)} labelled tables")
    for f in files:
        t = pq.read_table(f)
        cols = by_table.get(f.stem)
        if cols is None or list(t.column_names) != cols:
            problems.append(f"labels do not cover {f.name} exactly")
        if t.num_rows != N_ROWS:
            problems.append(f"{f.name}: {t.num_rows} rows")
    if summary["tables"] < 80:
        problems.append("fewer than 80 tables")
    if summary["columns"] < 1000:
        problems.append("fewer than 1000 columns")
    if summary["locales"] < 12:
        problems.append("fewer than 12 locales")
    if len(summary["scripts"]) < 4:
        problems.append("fewer than 4 scripts")
    if summary["non_pii_columns"] < 0.25 * summary["columns"] or summary["decoy_columns"] < 0.25 * summary["columns"]:
        problems.append("decoys/non-PII below 25%")
    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(json.dumps({k: summary[k] for k in ("tables", "columns", "pii_columns", "non_pii_columns", "decoy_columns",
                                              "locales", "scripts")}, ensure_ascii=False))
    print(f"folder size: {size / 1e6:.2f} MB")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
