"""The sample-data generator: reproducible, realistic, writable (the catalogue: test_companies)."""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from competiscan.companies import alias_map, normalise_company_key
from competiscan.generate import COLUMNS, _offer_number, generate_campaigns, write_campaigns
from competiscan.model import CAMPAIGN_TYPES, CHANNELS, INDUSTRIES
from competiscan.products import products_by_company

END = datetime.date(2025, 6, 30)

# Free-text channel spellings sources use, and the channel each one means.
FREE_TEXT_CHANNELS = {
    "E-mail": "email", "Email": "email", "EMAIL": "email", "e-mail": "email",
    "Direct Mail": "direct_mail", "DM": "direct_mail", "Mail": "direct_mail", "direct mail": "direct_mail",
    "Facebook": "social", "Instagram": "social", "Social Media": "social", "LinkedIn": "social", "TikTok": "social",
    "Banner": "display", "Display Ad": "display", "Display": "display",
    "Paid Search": "search", "Google Ads": "search", "SEM": "search", "Search Ad": "search",
    "YouTube": "video", "Video Ad": "video", "CTV": "video", "Online Video": "video",
    "Text": "sms", "SMS": "sms", "Text Message": "sms",
}

# Offer terms as issuers write them; each must occur in a 5,000-row sample.
OFFER_PHRASINGS = {
    "intro APR on purchases and BTs": r"0% intro APR for \d+ months on purchases and balance transfers",
    "intro APR in billing cycles": r"0% intro APR for \d+ billing cycles",
    "APR range with en dash": r"\d+\.\d\d%–\d+\.\d\d% variable APR",
    "APR range with hyphen": r"\d+\.\d\d% ?- ?\d+\.\d\d%",
    "APR range with 'to'": r"\d+\.\d\d% to \d+\.\d\d%",
    "points after spend": r"Earn [\d,]+ bonus points after you spend \$[\d,]+ in the first \d+ months",
    "miles": r"[\d,]+ (?:bonus )?miles",
    "k points": r"\b\d+k points",
    "cash bonus after spend in days": r"\$\d+ cash bonus after \$[\d,]+ in \d+ days",
    "no annual fee": r"(?i)no annual fee",
    "annual fee amount": r"\$\d+ annual fee",
    "intro annual fee": r"\$0 intro annual fee for the first year, then \$\d+",
    "tiered cash back": r"\d+% cash back on [a-z ]+, \d(?:\.5)?% on everything else",
    "up to cash back": r"(?i)up to \d+% cash back",
    "APY": r"\d\.\d\d% APY",
    "balance transfer fee": r"\d% balance transfer fee \(min \$\d+\)",
    "checking bonus": r"Get \$\d+ when you open a new checking account with direct deposit",
    "bundle savings": r"Save up to \d+% when you bundle",
    "telecom deal": r"on us|/line|/mo",
    "retail sale": r"\d+% off",
    "fare": r"Fares from \$\d+",
}

# What offers in each industry look like (acquisition and promotional pieces).
INDUSTRY_OFFERS = {
    "credit_cards": r"APR|points|miles|cash back|cash bonus|annual fee|pre-approved|credit|deposit",
    "banking": r"APY|checking|bonus|direct deposit|refer|\$\d+",
    "insurance": r"save|quote|discount|insurance",
    "telecom": r"on us|/mo|/line|phone|Pixel|Unlimited|BOGO|streaming|hotspot|\$[\d,]+ off|save \$",
    "retail": r"\d+% off|save \d+%|free shipping|rewards|store (?:credit )?card|BOGO|earn \$\d+",
    "travel": r"fares? from|miles|points|save up to|\d+% off|\$\d+",
    "investing": r"\$|IRA|APY|commission|stock|advisory",
}
ANY_OFFER = r"\d% (?:intro )?APR|APY|cash back|bonus (?:points|miles)|annual fee|% off|\$\d"
RETENTION_WORDS = r"thank|anniversary|miss you|renew|loyal|member|birthday|matur|upgrade|review|status|rewards|forgiveness"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return generate_campaigns(5_000, seed=11, end=END)


@pytest.fixture(scope="module")
def canonical(sample: pd.DataFrame) -> pd.Series:
    """The canonical company of every row; a KeyError here means a name that does not resolve."""
    names = alias_map()
    return sample["company_name"].map(lambda name: names[normalise_company_key(name)])


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return generate_campaigns(200_000, seed=2, end=END)


def typed(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    return df[df["campaign_type"] == kind]


def on_channel(df: pd.DataFrame, channel: str) -> pd.DataFrame:
    return df[df["channel"] == channel]


def identity(df: pd.DataFrame) -> pd.DataFrame:
    """What makes two rows one piece: company (through aliases), title, subject and content."""
    names = alias_map()
    return pd.DataFrame({
        "company": df["company_name"].map(lambda name: names[normalise_company_key(name)]),
        "title": df["title"].fillna(""),
        "subject": df["subject_line"].fillna(""),
        "content": df["content"],
    })


def resighting_share(df: pd.DataFrame) -> float:
    """Share of rows repeating an earlier piece on a later date."""
    pieces = identity(df)
    repeated = pieces.duplicated()
    same_day = pd.concat([pieces, df["launch_date"]], axis=1).duplicated()
    return float((repeated & ~same_day).mean())


def near_duplicate_pairs(df: pd.DataFrame) -> int:
    """Pairs of distinct pieces of one company whose text differs by one prefix or one number.

    A number change may occur several times (title and content), always as the same substitution.
    """
    pieces = identity(df).drop_duplicates()
    by_text = set(zip(pieces["company"], pieces["title"], pieces["subject"], pieces["content"]))
    pairs = 0
    buckets: dict[tuple[str, int], list[list[str]]] = defaultdict(list)
    for company, title, subject, content in by_text:
        words = content.split()
        for k in (1, 2):
            if words[k - 1].endswith(":") and (company, title, subject, " ".join(words[k:])) in by_text:
                pairs += 1
        tokens = [*words, "|", *title.split(), "|", *subject.split()]
        buckets[company, len(tokens)].append(tokens)
    for group in buckets.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                changes = {(x, y) for x, y in zip(a, b) if x != y}
                if len(changes) == 1 and any(ch.isdigit() for ch in "".join(changes.pop())):
                    pairs += 1
    return pairs


# --------------------------------------------------------------------------------------- shape
def test_columns_and_types(sample: pd.DataFrame) -> None:
    assert list(sample.columns) == list(COLUMNS)
    assert len(sample) == 5_000
    assert sample["launch_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert sample["est_spend_usd"].dtype == np.float64
    assert sample["est_volume"].dtype == np.float64
    assert (sample["est_volume"].dropna() % 1 == 0).all()


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    first = generate_campaigns(2_000, seed=5, end=END)
    pd.testing.assert_frame_equal(first, generate_campaigns(2_000, seed=5, end=END))
    assert not first.equals(generate_campaigns(2_000, seed=6, end=END))


def test_small_and_invalid_sizes() -> None:
    assert list(generate_campaigns(0, end=END).columns) == list(COLUMNS)
    assert len(generate_campaigns(0, end=END)) == 0
    assert len(generate_campaigns(1, end=END)) == 1
    with pytest.raises(ValueError, match="rows"):
        generate_campaigns(-1)
    with pytest.raises(ValueError, match="months"):
        generate_campaigns(10, months=0)


def test_default_end_is_today() -> None:
    assert generate_campaigns(200)["launch_date"].max() <= datetime.date.today().isoformat()


def test_two_hundred_thousand_rows(large: pd.DataFrame) -> None:
    assert len(large) == 200_000
    assert list(large.columns) == list(COLUMNS)
    assert large["content"].notna().all()


# --------------------------------------------------------------------------------------- coverage
def test_industries_companies_channels_and_types(sample: pd.DataFrame, canonical: pd.Series) -> None:
    assert set(sample["industry"]) <= set(INDUSTRIES)
    assert sample["industry"].nunique() >= 6
    assert canonical.nunique() >= 50
    # every channel a source names; "other" is only what ingest stores for an unknown one
    assert set(CHANNELS) - {"other"} <= set(sample["channel"])
    assert "other" not in set(sample["channel"])
    assert set(sample["campaign_type"].dropna()) == set(CAMPAIGN_TYPES)


def test_company_names_mostly_canonical_some_aliases(sample: pd.DataFrame, canonical: pd.Series) -> None:
    aliased = sample["company_name"] != canonical
    assert 0.03 <= aliased.mean() <= 0.07
    assert sample.loc[aliased, "company_name"].nunique() >= 20


def test_channels_mostly_canonical_some_free_text(sample: pd.DataFrame) -> None:
    free = ~sample["channel"].isin(CHANNELS)
    assert 0.03 <= free.mean() <= 0.07
    assert set(sample.loc[free, "channel"]) <= set(FREE_TEXT_CHANNELS)
    assert {"E-mail", "Facebook", "YouTube", "Banner", "Paid Search"} & set(sample.loc[free, "channel"])


def test_campaign_types_missing_for_some_and_for_servicing(sample: pd.DataFrame) -> None:
    missing = sample["campaign_type"].isna()
    assert 0.13 <= missing.mean() <= 0.22
    servicing = sample.loc[missing, "content"].str.contains("payment of .* is due|declined", regex=True)
    assert servicing.sum() >= 5
    assert not sample.loc[~missing, "content"].str.contains("card was declined", regex=False).any()


# --------------------------------------------------------------------------------------- dates
def test_dates_span_the_window(sample: pd.DataFrame) -> None:
    dates = pd.to_datetime(sample["launch_date"])
    assert dates.max() <= pd.Timestamp(END)
    assert dates.min() >= pd.Timestamp(END) - pd.DateOffset(months=20)
    assert (dates.max() - dates.min()).days >= 18 * 30.4


def test_more_pieces_in_q4_and_january_than_in_summer(sample: pd.DataFrame) -> None:
    dates = pd.to_datetime(sample["launch_date"])
    per_month = dates.dt.to_period("M").value_counts()
    by_calendar_month = per_month.groupby(per_month.index.month).mean()
    assert by_calendar_month[[11, 12, 1]].mean() > 1.2 * by_calendar_month[[6, 7, 8]].mean()


def test_companies_have_bursts(large: pd.DataFrame) -> None:
    companies = identity(large)["company"]
    weeks = pd.to_datetime(large["launch_date"]).dt.to_period("W")
    top = companies.value_counts().index[:10]
    bursting = 0
    for company in top:
        weekly = weeks[companies == company].value_counts().sort_index()
        four_weeks = weekly.rolling(4).sum().dropna()
        bursting += four_weeks.max() >= 2 * four_weeks.median()
    assert bursting >= 8


def test_share_of_voice_is_uneven(sample: pd.DataFrame, canonical: pd.Series) -> None:
    share = canonical.value_counts(normalize=True)
    assert share.iloc[0] >= 3 * share.median()
    assert share.iloc[:10].sum() >= 0.35


# --------------------------------------------------------------------------------------- text
@pytest.mark.parametrize("name", OFFER_PHRASINGS)
def test_offer_phrasing_occurs(sample: pd.DataFrame, name: str) -> None:
    text = sample["title"] + " " + sample["subject_line"].fillna("") + " " + sample["content"]
    assert text.str.contains(OFFER_PHRASINGS[name], regex=True).sum() >= 2, name


@pytest.mark.parametrize("industry", INDUSTRY_OFFERS)
def test_offers_fit_the_industry(sample: pd.DataFrame, industry: str) -> None:
    offers = sample[(sample["industry"] == industry) & sample["campaign_type"].isin(["acquisition", "promotional"])]
    assert len(offers) >= 30
    assert offers["content"].str.contains(INDUSTRY_OFFERS[industry], case=False, regex=True).mean() >= 0.95


@pytest.mark.parametrize("kind", ["educational", "brand_awareness"])
def test_educational_and_brand_pieces_carry_no_offer(sample: pd.DataFrame, kind: str) -> None:
    pieces = typed(sample, kind)
    assert len(pieces) >= 100
    assert not pieces["content"].str.contains(ANY_OFFER, regex=True).any()


def test_retention_pieces_thank_remind_or_win_back(sample: pd.DataFrame) -> None:
    pieces = typed(sample, "retention")
    assert pieces["content"].str.contains(RETENTION_WORDS, case=False, regex=True).mean() >= 0.95


def test_channels_have_their_shape(sample: pd.DataFrame) -> None:
    email, sms, search = on_channel(sample, "email"), on_channel(sample, "sms"), on_channel(sample, "search")
    assert email["subject_line"].notna().all()
    assert on_channel(sample, "direct_mail")["subject_line"].notna().all()
    for channel in ("sms", "search", "display", "social", "video"):
        assert on_channel(sample, channel)["subject_line"].isna().all(), channel
        assert on_channel(sample, channel)["title"].notna().all(), channel
    assert sms["content"].str.len().max() <= 220
    assert search["title"].str.len().max() <= 100
    assert search["content"].str.len().max() <= 160
    email_length = email["content"].str.len().median()
    for channel in ("sms", "search", "display", "social"):
        assert on_channel(sample, channel)["content"].str.len().median() < email_length, channel


def test_text_is_clean(sample: pd.DataFrame) -> None:
    for column in ("title", "subject_line", "content"):
        text = sample[column].dropna()
        assert (text.str.strip() == text).all(), column
        assert not text.str.contains(r"\s{2,}|[?!.]\.|\{|\}", regex=True).any(), column


def test_keywords_are_two_to_five(sample: pd.DataFrame) -> None:
    counts = sample["keywords"].str.split(",").map(len)
    assert counts.between(2, 5).all()
    assert set(counts) == {2, 3, 4, 5}
    assert not sample["keywords"].str.contains(",,|^,|,$", regex=True).any()


def test_estimates_fit_the_channel_and_some_are_missing(sample: pd.DataFrame) -> None:
    assert 0.25 <= sample["est_spend_usd"].isna().mean() <= 0.35
    assert 0.25 <= sample["est_volume"].isna().mean() <= 0.35
    assert (sample["est_spend_usd"].dropna() > 0).all()
    mail = on_channel(sample, "direct_mail")["est_volume"].dropna()
    assert mail.between(10_000, 2_000_000).all()
    display = on_channel(sample, "display")["est_volume"].dropna()
    assert display.median() > mail.median()


# --------------------------------------------------------------------------------------- products
# Cards by what their issuers charge and pay, to check the sample pieces that name them.
PREMIUM_FEE_CARDS = (  # annual fees of $325 or more
    "Capital One Venture X", "Chase Sapphire Reserve", "American Express Platinum Card", "American Express Gold Card",
    "Bank of America Premium Rewards Elite", "Citi Strata Elite", "U.S. Bank Altitude Reserve",
)
NO_FEE_CARDS = (
    "Capital One Quicksilver", "Capital One VentureOne", "Capital One Savor", "Chase Freedom Unlimited",
    "Chase Freedom Flex", "Citi Double Cash", "Citi Custom Cash", "Discover it Cash Back", "Wells Fargo Active Cash",
    "Wells Fargo Reflect", "Bank of America Customized Cash Rewards", "U.S. Bank Cash+", "U.S. Bank Altitude Go",
)
FLAT_RATE_CARDS = ("Capital One Quicksilver", "Citi Double Cash", "Wells Fargo Active Cash",
                   "Bank of America Unlimited Cash Rewards")
ISSUERS = ("Chase", "Capital One", "American Express", "Citi", "Discover", "Wells Fargo", "Bank of America", "U.S. Bank")


def piece_text(df: pd.DataFrame) -> pd.Series:
    return df["title"] + " " + df["subject_line"].fillna("") + " " + df["content"]


def naming(df: pd.DataFrame, products: tuple[str, ...]) -> pd.Series:
    """The text of the pieces that name one of `products` ("Capital One Quicksilver" is not
    "Capital One QuicksilverOne")."""
    text = piece_text(df)
    return text[text.str.contains("|".join(re.escape(name) + r"(?!\w)" for name in products), regex=True)]


def named_products(df: pd.DataFrame, company: str) -> pd.Series:
    """The catalogue products of `company` its pieces name, one row per mention."""
    names = sorted({p.name.removeprefix(company).strip() for p in products_by_company()[company]}, key=len, reverse=True)
    pattern = rf"{re.escape(company)} ({'|'.join(map(re.escape, names))})(?!\w)"
    return piece_text(df[df["company_name"] == company]).str.findall(pattern).explode().dropna()


def test_capital_one_pieces_name_several_of_its_products(sample: pd.DataFrame) -> None:
    assert named_products(sample, "Capital One").nunique() >= 4


@pytest.mark.parametrize("company", ISSUERS)
def test_issuers_pieces_name_their_products(large: pd.DataFrame, company: str) -> None:
    named = named_products(large, company)
    assert named.nunique() >= 6, named.value_counts()


def test_no_piece_names_a_product_its_offer_contradicts(large: pd.DataFrame) -> None:
    premium = naming(large, PREMIUM_FEE_CARDS)
    no_fee = naming(large, NO_FEE_CARDS)
    flat_rate = naming(large, FLAT_RATE_CARDS)
    assert min(len(premium), len(no_fee), len(flat_rate)) >= 50
    assert not premium.str.contains(r"(?i)no annual fee|\$0 annual fee|secured card|0% intro APR", regex=True).any()
    fees = premium.str.findall(r"\$(\d+) annual fee|then \$(\d+)").explode().dropna()
    assert all(int(a or b) >= 250 for a, b in fees)
    assert not no_fee.str.contains(r"\$[1-9]\d* annual fee|then \$[1-9]", regex=True).any()
    assert not flat_rate.str.contains(r"(?i)activate|rotating", regex=True).any()


def test_product_names_keep_their_numbers_in_near_duplicates() -> None:
    # A near-duplicate changes the first offer number of a piece; "360" is Capital One's product.
    assert _offer_number("Meet the Capital One 360 Performance Savings. Earn 4.35% APY for 12 months.") == "12"


# --------------------------------------------------------------------------------------- duplicates
def test_resightings_and_exact_duplicates(sample: pd.DataFrame) -> None:
    assert 0.08 <= resighting_share(sample) <= 0.12
    assert 0.005 <= sample.duplicated().mean() <= 0.02


def test_resightings_stay_near_ten_percent_at_scale(large: pd.DataFrame) -> None:
    assert 0.08 <= resighting_share(large) <= 0.13


def test_near_duplicates(sample: pd.DataFrame) -> None:
    assert 0.03 <= near_duplicate_pairs(sample) / len(sample) <= 0.08


# --------------------------------------------------------------------------------------- writing
def read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8", keep_default_na=False, na_values=[""])
    if path.suffix == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(records, list) and list(records[0]) == list(COLUMNS)
        return pd.DataFrame.from_records(records)
    if path.suffix == ".jsonl":
        return pd.DataFrame.from_records([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    if path.suffix == ".xlsx":
        return pd.read_excel(path, engine="openpyxl")
    return pd.read_parquet(path)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl", ".xlsx", ".parquet"])
def test_write_and_read_back(tmp_path: Path, suffix: str) -> None:
    frame = generate_campaigns(300, seed=4, end=END)
    path = tmp_path / f"campaigns{suffix}"
    write_campaigns(frame, path)
    back = read_back(path)
    assert list(back.columns) == list(COLUMNS)
    text = [c for c in COLUMNS if not c.startswith("est_")]
    pd.testing.assert_frame_equal(back[text].astype(object).where(back[text].notna(), None),
                                  frame[text].astype(object).where(frame[text].notna(), None))
    for column in ("est_spend_usd", "est_volume"):
        np.testing.assert_array_equal(back[column].astype(float).to_numpy(), frame[column].to_numpy())


def test_write_accepts_str_paths(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.csv"
    write_campaigns(generate_campaigns(10, end=END), str(path))
    assert path.read_text(encoding="utf-8").startswith(",".join(COLUMNS))


def test_write_rejects_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv"):
        write_campaigns(generate_campaigns(10, end=END), tmp_path / "campaigns.txt")
