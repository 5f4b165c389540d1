"""The vocabulary's types: CampaignFilter (the one filter of search, analytics, URLs, CLI)
and Actor (who acts)."""

from datetime import date

import pytest

from competiscan.model import Actor, CampaignFilter, FilterError


def test_loose_values_are_normalised():
    where = CampaignFilter(companies="Chase", channels=["email", "email", " sms "],
                           date_from="2024-01-01", offer_ranges={"annual_fee_usd": (None, "0")})
    assert where.companies == ("Chase",)
    assert where.channels == ("email", "sms")
    assert where.date_from == date(2024, 1, 1)
    assert where.offer_ranges == (("annual_fee_usd", None, 0.0),)
    assert where.offer_range("annual_fee_usd") == (None, 0.0)
    assert where.offer_range("apy_pct") == (None, None)
    assert list(where.values()) == [("company", ("Chase",)), ("channel", ("email", "sms"))]


def test_equal_filters_are_equal_and_hashable():
    a = CampaignFilter(offer_ranges={"apy_pct": (4, None), "cash_back_pct": (2, None)})
    b = CampaignFilter(offer_ranges=[("cash_back_pct", 2, None), ("apy_pct", 4.0, None)])
    assert a == b and hash(a) == hash(b)
    assert CampaignFilter().is_empty and not a.is_empty


def test_round_trip_through_json_form():
    where = CampaignFilter(companies=("Chase", "Citi"), sentiments=("positive",),
                           date_from=date(2024, 1, 1), date_to=date(2024, 3, 31),
                           offer_ranges={"intro_apr_months": (12, None)})
    assert CampaignFilter.from_dict(where.to_dict()) == where
    assert CampaignFilter.from_dict({**where.to_dict(), "sort": "date"}) == where


def test_without_companies_is_the_market():
    where = CampaignFilter(companies=("Chase",), channels=("email",))
    assert where.without_companies() == CampaignFilter(channels=("email",))


@pytest.mark.parametrize("kwargs, message", [
    ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "is after date_to"),
    ({"date_from": "last tuesday"}, "is not a date"),
    ({"offer_ranges": {"bonus_unit": (1, 2)}}, "not a numeric offer term"),
    ({"offer_ranges": {"__class__": (1, 2)}}, "not a numeric offer term"),
    ({"offer_ranges": {"cash_back_pct": (10, 1)}}, "swap them"),
    ({"offer_ranges": {"cash_back_pct": (True, None)}}, "must be a number"),
    ({"offer_ranges": {"cash_back_pct": (float("nan"), None)}}, "finite number"),
    ({"offer_ranges": {"cash_back_pct": (float("-inf"), None)}}, "finite number"),
    ({"offer_ranges": {"cash_back_pct": (1,)}}, r"must be \(min, max\)"),
    ({"offer_ranges": {"cash_back_pct": 3}}, r"must be \(min, max\)"),
    ({"offer_ranges": {"cash_back_pct": ("lots", None)}}, "must be a number"),
    ({"companies": 3}, "must be a list"),
])
def test_bad_values_raise_filter_error_saying_what(kwargs, message):
    with pytest.raises(FilterError, match=message):
        CampaignFilter(**kwargs)


def test_actor_needs_a_name_and_a_known_role():
    assert Actor("ana").role == "admin"
    with pytest.raises(ValueError, match="needs a name"):
        Actor(" ")
    with pytest.raises(ValueError, match="Unknown role"):
        Actor("ana", role="owner")
