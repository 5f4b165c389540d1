"""Company names: the catalogue's brand spellings and aliases, and how uploads name companies."""

from __future__ import annotations

import pytest

from competiscan import generate
from competiscan.companies import KNOWN_COMPANIES, alias_map, normalise_company_key
from competiscan.ingest import prepare_bytes
from competiscan.model import INDUSTRIES

CATALOGUE = {c.name: c for c in KNOWN_COMPANIES}


# --------------------------------------------------------------------------------------- catalogue
def test_catalogue_covers_many_brands_and_industries() -> None:
    names = [c.name for c in KNOWN_COMPANIES]
    assert len(names) >= 55
    assert len(set(names)) == len(names)
    industries = {c.industry for c in KNOWN_COMPANIES}
    assert len(industries) >= 6
    assert industries <= set(INDUSTRIES)


@pytest.mark.parametrize("brand", [
    "U.S. Bank", "UScellular", "T-Mobile", "AT&T", "American Express", "Bank of America",
    "Wells Fargo", "Capital One", "Citi", "Chase", "SoFi", "GEICO", "USAA", "E*TRADE",
    "KeyBank", "JetBlue", "First PREMIER Bank", "The Home Depot", "Marcus by Goldman Sachs",
])
def test_canonical_names_are_the_brands_spellings(brand: str) -> None:
    assert brand in CATALOGUE
    assert alias_map()[normalise_company_key(brand.lower())] == brand


@pytest.mark.parametrize(("former", "brand"), [
    ("US Bank", "U.S. Bank"),
    ("US Cellular", "UScellular"),
    ("Geico", "GEICO"),
    ("Home Depot", "The Home Depot"),
    ("First Premier Bank", "First PREMIER Bank"),
])
def test_former_canonical_names_stay_aliases(former: str, brand: str) -> None:
    assert former in CATALOGUE[brand].aliases
    assert alias_map()[normalise_company_key(former)] == brand


@pytest.mark.parametrize(("spelling", "key"), [
    ("JPMorgan Chase", "jpmorganchase"),
    ("JP Morgan Chase & Co.", "jpmorganchase"),
    ("The Home Depot, Inc.", "homedepot"),
    ("AT&T Inc.", "att"),
    ("Charles Schwab Corp", "charlesschwab"),
    ("Bank of America, N.A.", "bankofamerica"),
    ("T-Mobile US, LLC", "tmobileus"),
    ("Costco", "costco"),
    ("  capital one  ", "capitalone"),
])
def test_normalise_company_key(spelling: str, key: str) -> None:
    assert normalise_company_key(spelling) == key


@pytest.mark.parametrize(("spelling", "company"), [
    ("Amex", "American Express"),
    ("JP Morgan Chase", "Chase"),
    ("Chase Bank", "Chase"),
    ("Citibank", "Citi"),
    ("BofA", "Bank of America"),
    ("capital one", "Capital One"),
    ("The Vanguard Group, Inc.", "Vanguard"),
    ("Comcast", "Xfinity"),
    ("U.S. Bancorp", "U.S. Bank"),
    ("TMobile", "T-Mobile"),
])
def test_alias_map_resolves_spellings(spelling: str, company: str) -> None:
    assert alias_map()[normalise_company_key(spelling)] == company


def test_alias_map_holds_every_canonical_name_and_is_a_copy() -> None:
    names = alias_map()
    assert all(names[normalise_company_key(c.name)] == c.name for c in KNOWN_COMPANIES)
    names.clear()
    assert alias_map()


def test_generator_tables_name_catalogue_companies() -> None:
    # the generator looks these names up with defaults: a renamed company would silently
    # lose its size, second industry or domain
    named = {*generate._BIG_ADVERTISERS, *generate._SECONDARY_INDUSTRY, *generate._DOMAINS}
    assert named <= set(CATALOGUE)


# --------------------------------------------------------------------------------------- uploads
@pytest.fixture
def catalogued(store):
    """A store seeded with the catalogue, as the app seeds a new one."""
    store.ensure_companies((c.name, c.industry, {normalise_company_key(a) for a in (c.name, *c.aliases)})
                           for c in KNOWN_COMPANIES)
    return store


def upload(store, name: str, rows: list[str]) -> dict:
    """Load rows of company,industry,title,date as the app does; the stored batch report."""
    data = ("company,industry,title,date\n" + "\n".join(rows) + "\n").encode()
    prepared = prepare_bytes(data, name, source="test", aliases=store.company_aliases(),
                             industries=store.company_industries())
    assert prepared.batch is not None and not prepared.report.rejected
    return store.batch(store.write_batch(prepared.batch).batch_id)["report"]


def company_counts(store) -> dict[str, int]:
    return store.export_frame(["company"])["company"].value_counts().to_dict()


def test_catalogue_companies_get_the_brands_spelling(catalogued):
    report = upload(catalogued, "a.csv", ["US Bank,,A,2024-01-01", "u.s. bank,,B,2024-01-02",
                                          "Geico,,C,2024-01-03", "US Cellular,,D,2024-01-04"])
    assert report["new_companies"] == []
    assert company_counts(catalogued) == {"U.S. Bank": 2, "GEICO": 1, "UScellular": 1}


def test_unknown_company_keeps_the_spelling_of_its_file(catalogued):
    first = upload(catalogued, "first.csv", ["acme FinTech,credit_cards,A,2024-01-01",
                                             "ACME FINTECH,credit_cards,B,2024-01-02"])
    assert first["new_companies"] == ["acme FinTech"]
    assert catalogued.company_aliases()["acmefintech"] == "acme FinTech"
    assert catalogued.company_industries()["acme FinTech"] == "credit_cards"

    later = upload(catalogued, "later.csv", ["ACME fintech,,C,2024-02-01",
                                             "Acme Fin-Tech,,D,2024-02-02"])
    assert later["new_companies"] == []
    assert company_counts(catalogued) == {"acme FinTech": 4}


def test_unknown_company_spelling_has_its_whitespace_trimmed_and_collapsed(store):
    report = upload(store, "a.csv", ['"  Blue   Harbor  Bank ",,A,2024-01-01'])
    assert report["new_companies"] == ["Blue Harbor Bank"]
    assert company_counts(store) == {"Blue Harbor Bank": 1}
