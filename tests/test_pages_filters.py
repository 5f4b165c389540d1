"""The filter panel of Search and Trends: a company typed in selects that company (or its
alias's), never every name containing the text; typing never offers "select all matches"."""

from __future__ import annotations

from test_pages_support import app_env, open_page, texts  # noqa: F401
from competiscan.companies import alias_map
from competiscan.workbench.campaigns import CompanyMatch, resolve_company as resolve

NAMES = ["Chase", "Citi", "Citizens", "Cricket Wireless", "Capital One", "Citadel Credit Union"]


def resolve_company(typed: str, names: list[str]) -> CompanyMatch:
    return resolve(typed, names, alias_map())


def test_a_typed_name_selects_that_company_only():
    assert resolve_company("Citi", NAMES) == CompanyMatch("Citi")
    assert resolve_company("  citi ", NAMES) == CompanyMatch("Citi")
    assert resolve_company("CITIZENS", NAMES) == CompanyMatch("Citizens")


def test_an_alias_selects_its_company():
    assert resolve_company("Citibank", NAMES) == CompanyMatch("Citi")
    assert resolve_company("JPMorgan Chase & Co.", NAMES) == CompanyMatch("Chase")
    # an alias of a company the store does not hold selects nothing
    assert resolve_company("Discover Card", NAMES).name is None


def test_a_partial_name_is_suggestions_not_a_selection():
    match = resolve_company("Cit", NAMES)
    assert match.name is None
    assert match.suggestions == ("Citadel Credit Union", "Citi", "Citizens")
    assert resolve_company("wireless", NAMES) == CompanyMatch(None, ("Cricket Wireless",))
    assert resolve_company("Zzz", NAMES) == CompanyMatch(None, ())
    assert resolve_company("  ", NAMES) == CompanyMatch(None, ())


def test_typing_in_the_company_filter_on_the_search_page(app_env):
    at = open_page("search")
    box = at.multiselect(key="s_company")
    assert box.proto.accept_new_options and not box.proto.select_all
    assert "Citi" in box.options
    box.set_value(["citi"]).run()          # typed, not picked: resolved to the company
    assert at.multiselect(key="s_company").value == ["Citi"]
    assert at.query_params["company"] == "Citi"   # the link says so too
    at.multiselect(key="s_company").set_value(["Citi", "Citibank"]).run()
    assert at.multiselect(key="s_company").value == ["Citi"]   # the same company once
    at.multiselect(key="s_company").set_value(["Citi", "Ci"]).run()
    assert at.multiselect(key="s_company").value == ["Citi"]
    assert any("No company is called “Ci”; did you mean" in t for t in texts(at.caption))
    for other in ("s_channel", "s_type", "s_industry"):
        assert not at.multiselect(key=other).proto.select_all


def test_the_workbench_resolves_through_the_stored_aliases(app_env):
    assert app_env.campaigns.company_named("citibank") == CompanyMatch("Citi")
    assert app_env.campaigns.company_named("Citi") == CompanyMatch("Citi")
    assert app_env.campaigns.company_named("Wells") == CompanyMatch("Wells Fargo")   # an alias
    partial = app_env.campaigns.company_named("Cit")
    assert partial.name is None and "Citi" in partial.suggestions
