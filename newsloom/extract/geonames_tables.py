"""Curated name tables the GeoNames data lacks: country aliases, news regions, US state
abbreviations (AP style and postal) and demonyms. Applied over the built index at load time
(`places.load_gazetteer`), so a fix here needs no rebuild of `data/gazetteer.npz`."""

from __future__ import annotations

# Short or informal names for countries that GeoNames lists under another name.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S.", "USA", "U.S.A.", "America", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "United Kingdom of Great Britain"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "CD": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "CG": ("Congo", "Congo-Brazzaville"),
    "KR": ("Korea", "Republic of Korea"),
    "KP": ("DPRK",),
    "CZ": ("Czech Republic",),
    "MM": ("Burma",),
    "NL": ("Netherlands", "Holland"),
    "PS": ("Palestine", "Gaza Strip", "West Bank"),
    "CI": ("Cote d'Ivoire",),
    "TL": ("East Timor", "Timor-Leste"),
    "VA": ("Vatican City", "Holy See", "Vatican"),
    "SZ": ("Swaziland",),
    "MK": ("Macedonia",),
    "TR": ("Turkiye",),
    "AM": ("Republic of Armenia",),
    "VI": ("U.S. Virgin Islands", "US Virgin Islands"),
    "TT": ("Trinidad & Tobago", "T&T"),
    "BA": ("Bosnia",),
    "RU": ("Russian Federation",),
    "IR": ("Islamic Republic of Iran",),
    "SY": ("Syrian Arab Republic",),
    "LA": ("Lao",),
    "CV": ("Cape Verde",),
}

# Regions news names that GeoNames has as areas without a place record in the cities data:
# (name, lat, lon, country, feature, GeoNames id).
REGIONS: tuple[tuple[str, float, float, str, str, int], ...] = (
    ("England", 52.16, -1.0, "GB", "admin1", 6269131),
    ("Scotland", 56.5, -4.0, "GB", "admin1", 2638360),
    ("Wales", 52.5, -3.5, "GB", "admin1", 2634895),
    ("Northern Ireland", 54.6, -6.7, "GB", "admin1", 2641364),
    ("Middle East", 33.13, 35.86, "", "region", 6269133),
    ("Gulf", 27.0, 51.0, "", "region", 235616),
    ("Persian Gulf", 27.0, 51.0, "", "region", 235616),
    ("Arabian Peninsula", 25.0, 45.0, "", "region", 6957698),
    ("Caribbean", 15.0, -73.0, "", "region", 3573591),
    ("Latin America", -14.6, -57.66, "", "region", 6255150),
    ("Central America", 12.0, -85.0, "", "region", 3590020),
    ("Balkans", 44.0, 20.0, "", "region", 3355498),
    ("Scandinavia", 62.0, 15.0, "", "region", 2614165),
    ("Central Asia", 45.0, 65.0, "", "region", 1151447),
    ("Southeast Asia", 10.0, 106.0, "", "region", 1151451),
    ("Sub-Saharan Africa", 0.0, 20.0, "", "region", 0),
    ("North Africa", 27.0, 15.0, "", "region", 9408658),
    ("Niger Delta", 5.0, 6.0, "NG", "region", 2328925),
    ("West Africa", 12.0, -5.0, "", "region", 9408659),
    ("East Africa", 0.0, 37.0, "", "region", 9408657),
    ("Korean Peninsula", 37.5, 127.5, "", "region", 0),
    ("Arctic", 80.0, 0.0, "", "region", 2960860),
    ("Antarctic", -80.0, 0.0, "", "region", 6255152),
    ("Atlantic", 10.0, -25.0, "", "region", 3411923),
    ("Atlantic Ocean", 10.0, -25.0, "", "region", 3411923),
    ("Pacific", 0.0, -160.0, "", "region", 2363254),
    ("Pacific Ocean", 0.0, -160.0, "", "region", 2363254),
    ("Indian Ocean", -10.0, 70.0, "", "region", 1545739),
    ("Mediterranean", 35.0, 18.0, "", "region", 363196),
    ("Mediterranean Sea", 35.0, 18.0, "", "region", 363196),
    ("Black Sea", 43.0, 35.0, "", "region", 630673),
    ("Caspian Sea", 42.0, 51.0, "", "region", 630671),
    ("South China Sea", 12.0, 114.0, "", "region", 1818190),
    ("Red Sea", 20.0, 38.5, "", "region", 350155),
    ("North Sea", 56.0, 3.0, "", "region", 2960848),
    ("Baltic Sea", 58.0, 20.0, "", "region", 2633321),
    ("Gulf of Mexico", 25.0, -90.0, "", "region", 3523271),
    ("Great Lakes", 45.0, -84.0, "", "region", 0),
    ("Midwest", 41.0, -90.0, "US", "region", 0),
    ("New England", 43.5, -71.5, "US", "region", 4104031),
)

# US states by abbreviation: AP style (with the dots, as written) and postal codes.
# Postal codes are matched only right after a town ("Mobile, AL"): alone they are words.
AP_STATES: dict[str, str] = {
    "Ala.": "AL", "Ariz.": "AZ", "Ark.": "AR", "Calif.": "CA", "Cal.": "CA", "Colo.": "CO",
    "Conn.": "CT", "Del.": "DE", "D.C.": "DC", "Fla.": "FL", "Ga.": "GA", "Ill.": "IL",
    "Ind.": "IN", "Kan.": "KS", "Kans.": "KS", "Ky.": "KY", "La.": "LA", "Md.": "MD",
    "Mass.": "MA", "Mich.": "MI", "Minn.": "MN", "Miss.": "MS", "Mo.": "MO", "Mont.": "MT",
    "Neb.": "NE", "Nebr.": "NE", "Nev.": "NV", "N.H.": "NH", "N.J.": "NJ", "N.M.": "NM",
    "N.Y.": "NY", "N.C.": "NC", "N.D.": "ND", "Okla.": "OK", "Ore.": "OR", "Pa.": "PA",
    "Penn.": "PA", "R.I.": "RI", "S.C.": "SC", "S.D.": "SD", "Tenn.": "TN", "Tex.": "TX",
    "Vt.": "VT", "Va.": "VA", "Wash.": "WA", "W.Va.": "WV", "W. Va.": "WV", "Wis.": "WI",
    "Wisc.": "WI", "Wyo.": "WY",
}  # fmt: skip
POSTAL_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)
# Canadian provinces as news abbreviates them.
CA_PROVINCES: dict[str, str] = {"B.C.": "British Columbia", "BC": "British Columbia"}
# Australian states as news abbreviates them.
AU_STATES: dict[str, str] = {"NSW": "New South Wales", "Qld": "Queensland", "QLD": "Queensland",
                             "Tas": "Tasmania", "ACT": "Australian Capital Territory"}  # fmt: skip

# Adjectives of countries and continents, as English news writes them before a noun
# ("Russian officials"). Codes are ISO 3166 alpha-2; "@" + name is a continent or region.
_DEMONYMS: dict[str, str] = {
    "AF": "Afghan", "AL": "Albanian", "DZ": "Algerian", "AO": "Angolan", "AR": "Argentine",
    "AM": "Armenian", "AU": "Australian", "AT": "Austrian", "AZ": "Azerbaijani",
    "BS": "Bahamian", "BH": "Bahraini", "BD": "Bangladeshi", "BB": "Barbadian",
    "BY": "Belarusian", "BE": "Belgian", "BZ": "Belizean", "BJ": "Beninese", "BT": "Bhutanese",
    "BO": "Bolivian", "BA": "Bosnian", "BW": "Botswanan", "BR": "Brazilian", "BN": "Bruneian",
    "BG": "Bulgarian", "BF": "Burkinabe", "BI": "Burundian", "KH": "Cambodian",
    "CM": "Cameroonian", "CA": "Canadian", "CF": "Central African", "TD": "Chadian",
    "CL": "Chilean", "CN": "Chinese", "CO": "Colombian", "CG": "Congolese",
    "CR": "Costa Rican", "HR": "Croatian", "CU": "Cuban", "CY": "Cypriot", "CZ": "Czech",
    "DK": "Danish", "DJ": "Djiboutian", "DO": "Dominican", "EC": "Ecuadorian",
    "EG": "Egyptian", "SV": "Salvadoran", "ER": "Eritrean", "EE": "Estonian",
    "ET": "Ethiopian", "FJ": "Fijian", "FI": "Finnish", "FR": "French", "GA": "Gabonese",
    "GM": "Gambian", "GE": "Georgian", "DE": "German", "GH": "Ghanaian", "GR": "Greek",
    "GT": "Guatemalan", "GN": "Guinean", "GY": "Guyanese", "HT": "Haitian",
    "HN": "Honduran", "HU": "Hungarian", "IS": "Icelandic", "IN": "Indian",
    "ID": "Indonesian", "IR": "Iranian", "IQ": "Iraqi", "IE": "Irish", "IL": "Israeli",
    "IT": "Italian", "CI": "Ivorian", "JM": "Jamaican", "JP": "Japanese", "JO": "Jordanian",
    "KZ": "Kazakh", "KE": "Kenyan", "KW": "Kuwaiti", "KG": "Kyrgyz", "LA": "Laotian",
    "LV": "Latvian", "LB": "Lebanese", "LR": "Liberian", "LY": "Libyan",
    "LT": "Lithuanian", "LU": "Luxembourgish", "MG": "Malagasy", "MW": "Malawian",
    "MY": "Malaysian", "MV": "Maldivian", "ML": "Malian", "MT": "Maltese",
    "MR": "Mauritanian", "MU": "Mauritian", "MX": "Mexican", "MD": "Moldovan",
    "MN": "Mongolian", "ME": "Montenegrin", "MA": "Moroccan", "MZ": "Mozambican",
    "MM": "Burmese", "NA": "Namibian", "NP": "Nepalese", "NL": "Dutch", "NZ": "New Zealand",
    "NI": "Nicaraguan", "NE": "Nigerien", "NG": "Nigerian", "KP": "North Korean",
    "NO": "Norwegian", "OM": "Omani", "PK": "Pakistani", "PS": "Palestinian",
    "PA": "Panamanian", "PG": "Papua New Guinean", "PY": "Paraguayan", "PE": "Peruvian",
    "PH": "Philippine", "PL": "Polish", "PT": "Portuguese", "QA": "Qatari",
    "RO": "Romanian", "RU": "Russian", "RW": "Rwandan", "SA": "Saudi", "SN": "Senegalese",
    "RS": "Serbian", "SL": "Sierra Leonean", "SG": "Singaporean", "SK": "Slovak",
    "SI": "Slovenian", "SO": "Somali", "ZA": "South African", "KR": "South Korean",
    "SS": "South Sudanese", "ES": "Spanish", "LK": "Sri Lankan", "SD": "Sudanese",
    "SR": "Surinamese", "SE": "Swedish", "CH": "Swiss", "SY": "Syrian", "TW": "Taiwanese",
    "TJ": "Tajik", "TZ": "Tanzanian", "TH": "Thai", "TG": "Togolese", "TT": "Trinidadian",
    "TN": "Tunisian", "TR": "Turkish", "TM": "Turkmen", "UG": "Ugandan",
    "UA": "Ukrainian", "AE": "Emirati", "GB": "British", "US": "American",
    "UY": "Uruguayan", "UZ": "Uzbek", "VE": "Venezuelan", "VN": "Vietnamese",
    "YE": "Yemeni", "ZM": "Zambian", "ZW": "Zimbabwean", "@Europe": "European",
    "@Africa": "African", "@Asia": "Asian", "@North America": "North American",
    "@South America": "South American", "@Latin America": "Latin American",
    "@Middle East": "Middle Eastern", "@Central America": "Central American",
    "@Arabian Peninsula": "Arab",
}  # fmt: skip
_MORE_DEMONYMS: dict[str, tuple[str, ...]] = {
    "PH": ("Filipino",),
    "AR": ("Argentinian",),
    "BR": ("Brazilian",),
    "GB-ENG": ("English",),
    "GB-SCT": ("Scottish", "Scots"),
    "GB-WLS": ("Welsh",),
    "CZ": ("Czech",),
    "SK": ("Slovakian",),
    "KR": ("Korean",),
    "NZ": ("Kiwi",),
    "@Europe": ("Western European", "Eastern European"),
}
# GB parts are areas of their own in the region table (England, Scotland, Wales).
GB_PARTS = {"GB-ENG": "England", "GB-SCT": "Scotland", "GB-WLS": "Wales"}


def demonyms() -> dict[str, str]:
    """Adjective -> target ("RU", "@Europe", or a GB part key)."""
    out = {adjective: code for code, adjective in _DEMONYMS.items()}
    for code, forms in _MORE_DEMONYMS.items():
        for form in forms:
            out[form] = code
    return out
