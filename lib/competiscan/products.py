"""The products Competiscan knows out of the box: each company's cards, accounts and plans.

Offers only compare within one product: Capital One's Venture X and its Platinum card are two
offers, not one that went from a $95 fee to $550. A campaign is linked to the product it markets
by the catalogue (``enrich/products.py``): a product's name or one of its aliases in the copy.
The store keeps the catalogue (table ``products``), seeded from :data:`KNOWN_PRODUCTS`; admins
add products and spellings there.

A name is the issuer's own short name for the product, without the company ("Venture X",
"Sapphire Preferred", "Platinum Card"), so it reads naturally beside the company. Aliases are
other spellings seen in copy, with or without the company's name; matching ignores case,
punctuation marks such as ® and ™, and runs of spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import PRODUCT_KINDS

__all__ = ["Product", "KNOWN_PRODUCTS", "PRODUCT_KINDS", "products_by_company"]



@dataclass(frozen=True)
class Product:
    """One product of one company: its name, kind and other spellings."""

    company: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in PRODUCT_KINDS:
            raise ValueError(f"Unknown product kind {self.kind!r}: use one of "
                             f"{', '.join(PRODUCT_KINDS)}.")
        if not self.company.strip() or not self.name.strip():
            raise ValueError("A product needs a company and a name.")

    @property
    def spellings(self) -> tuple[str, ...]:
        """The name and every alias, without repeats."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))


def _cards(company: str, *entries: tuple[str, ...] | str) -> tuple[Product, ...]:
    return tuple(Product(company, e, "card") if isinstance(e, str)
                 else Product(company, e[0], "card", tuple(e[1:])) for e in entries)


def _accounts(company: str, *entries: tuple[str, ...] | str) -> tuple[Product, ...]:
    return tuple(Product(company, e, "account") if isinstance(e, str)
                 else Product(company, e[0], "account", tuple(e[1:])) for e in entries)


def _plans(company: str, kind: str, *entries: tuple[str, ...] | str) -> tuple[Product, ...]:
    return tuple(Product(company, e, kind) if isinstance(e, str)
                 else Product(company, e[0], kind, tuple(e[1:])) for e in entries)


KNOWN_PRODUCTS: tuple[Product, ...] = (
    *_cards("Chase",
            ("Sapphire Preferred", "Chase Sapphire Preferred", "Sapphire Preferred card"),
            ("Sapphire Reserve", "Chase Sapphire Reserve"),
            ("Freedom Unlimited", "Chase Freedom Unlimited"),
            ("Freedom Flex", "Chase Freedom Flex"),
            ("Freedom Rise", "Chase Freedom Rise"),
            ("Slate Edge", "Chase Slate Edge"),
            ("Ink Business Preferred", "Ink Preferred"),
            ("Ink Business Cash", "Ink Cash"),
            ("Ink Business Unlimited", "Ink Unlimited"),
            ("United Explorer", "United Explorer Card", "United Explorer Mastercard"),
            ("Southwest Rapid Rewards Plus", "Southwest Plus"),
            ("Marriott Bonvoy Boundless", "Bonvoy Boundless"),
            ("Prime Visa", "Amazon Prime Visa", "Prime Rewards Visa")),
    *_accounts("Chase",
               ("Total Checking", "Chase Total Checking"),
               ("Secure Banking", "Chase Secure Banking"),
               ("Premier Plus Checking", "Chase Premier Plus Checking"),
               ("Chase Savings", "Chase Savings account")),
    *_cards("Capital One",
            ("Venture X", "Venture X Rewards", "VentureX"),
            ("Venture", "Venture Rewards", "Venture card", "Venture Rewards card"),
            ("VentureOne", "VentureOne Rewards", "Venture One"),
            ("Quicksilver", "Quicksilver Rewards", "Quicksilver card"),
            ("QuicksilverOne", "QuicksilverOne Rewards", "Quicksilver One"),
            ("Savor", "Savor Rewards", "SavorOne", "Savor One", "Savor card"),
            ("Platinum", "Platinum Mastercard", "Platinum credit card", "Capital One Platinum"),
            ("Platinum Secured", "Platinum Secured Mastercard", "Secured Mastercard"),
            ("Spark Cash Plus", "Spark Cash"),
            ("Spark Miles", "Spark Miles for Business")),
    *_accounts("Capital One",
               ("360 Checking", "Capital One 360 Checking"),
               ("360 Performance Savings", "Performance Savings", "360 Savings")),
    *_cards("American Express",
            ("Platinum Card", "The Platinum Card", "Amex Platinum", "American Express Platinum",
             "Platinum Card from American Express", "Platinum"),
            ("Gold Card", "American Express Gold", "Amex Gold", "Gold Card from American Express"),
            ("Green Card", "American Express Green", "Amex Green"),
            ("Blue Cash Preferred", "Blue Cash Preferred Card"),
            ("Blue Cash Everyday", "Blue Cash Everyday Card"),
            ("Delta SkyMiles Gold", "Delta SkyMiles Gold Card", "Delta Gold Card"),
            ("Delta SkyMiles Platinum", "Delta SkyMiles Platinum Card"),
            ("Delta SkyMiles Reserve", "Delta SkyMiles Reserve Card"),
            ("Hilton Honors Card", "Hilton Honors American Express Card"),
            ("Business Platinum", "Business Platinum Card"),
            ("Business Gold", "Business Gold Card"),
            ("Blue Business Plus", "Blue Business Plus Card")),
    *_accounts("American Express",
               ("High Yield Savings", "American Express High Yield Savings",
                "Personal Savings", "High Yield Savings account"),
               ("Rewards Checking", "American Express Rewards Checking")),
    *_cards("Citi",
            ("Double Cash", "Citi Double Cash", "Double Cash Card"),
            ("Custom Cash", "Citi Custom Cash", "Custom Cash Card"),
            ("Strata Premier", "Citi Strata Premier", "Citi Premier", "Premier Card"),
            ("Strata Elite", "Citi Strata Elite"),
            ("Simplicity", "Citi Simplicity", "Simplicity Card"),
            ("Diamond Preferred", "Citi Diamond Preferred", "Diamond Preferred Card"),
            ("AAdvantage Platinum Select", "Citi AAdvantage Platinum Select",
             "AAdvantage Platinum"),
            ("AAdvantage Executive", "Citi AAdvantage Executive"),
            ("Rewards+", "Citi Rewards+", "Rewards Plus"),
            ("Costco Anywhere Visa", "Costco Anywhere Visa Card")),
    *_accounts("Citi",
               ("Citi Priority", "Citi Priority account"),
               ("Accelerate Savings", "Citi Accelerate Savings")),
    *_cards("Discover",
            ("it Cash Back", "Discover it Cash Back", "Discover it", "Discover it card"),
            ("it Miles", "Discover it Miles"),
            ("it Chrome", "Discover it Chrome"),
            ("it Secured", "Discover it Secured"),
            ("it Student Cash Back", "Discover it Student Cash Back", "Discover it Student"),
            ("it Balance Transfer", "Discover it Balance Transfer")),
    *_accounts("Discover",
               ("Online Savings", "Discover Online Savings", "Discover Savings"),
               ("Cashback Debit", "Discover Cashback Debit")),
    *_cards("Wells Fargo",
            ("Active Cash", "Wells Fargo Active Cash", "Active Cash Card"),
            ("Autograph", "Wells Fargo Autograph", "Autograph Card"),
            ("Autograph Journey", "Wells Fargo Autograph Journey"),
            ("Reflect", "Wells Fargo Reflect", "Reflect Card"),
            ("Attune", "Wells Fargo Attune"),
            ("Bilt Mastercard", "Bilt")),
    *_accounts("Wells Fargo",
               ("Everyday Checking", "Wells Fargo Everyday Checking"),
               ("Way2Save Savings", "Way2Save"),
               ("Platinum Savings", "Wells Fargo Platinum Savings")),
    *_cards("Bank of America",
            ("Customized Cash Rewards", "Bank of America Customized Cash Rewards",
             "Customized Cash"),
            ("Unlimited Cash Rewards", "Bank of America Unlimited Cash Rewards",
             "Unlimited Cash"),
            ("Travel Rewards", "Bank of America Travel Rewards"),
            ("Premium Rewards Elite", "Bank of America Premium Rewards Elite"),
            ("Premium Rewards", "Bank of America Premium Rewards"),
            ("BankAmericard", "BankAmericard credit card")),
    *_accounts("Bank of America",
               ("Advantage Banking", "Advantage Plus", "Advantage SafeBalance",
                "Advantage Relationship"),
               ("Advantage Savings", "Bank of America Advantage Savings")),
    *_cards("U.S. Bank",
            ("Altitude Go", "U.S. Bank Altitude Go"),
            ("Altitude Connect", "U.S. Bank Altitude Connect"),
            ("Altitude Reserve", "U.S. Bank Altitude Reserve"),
            ("Cash+", "U.S. Bank Cash+", "Cash Plus"),
            ("Shopper Cash Rewards", "U.S. Bank Shopper Cash Rewards"),
            ("Visa Platinum", "U.S. Bank Visa Platinum")),
    *_accounts("U.S. Bank",
               ("Smartly Checking", "U.S. Bank Smartly Checking"),
               ("Smartly Savings", "U.S. Bank Smartly Savings")),
    *_cards("Barclays",
            ("AAdvantage Aviator Red", "Aviator Red"),
            ("JetBlue Plus", "JetBlue Plus Card"),
            ("Wyndham Rewards Earner", "Wyndham Earner"),
            ("View Mastercard", "Barclays View")),
    *_accounts("Ally",
               ("Online Savings", "Ally Online Savings", "High Yield Savings"),
               ("Spending Account", "Ally Spending Account", "Interest Checking"),
               ("No Penalty CD", "Ally No Penalty CD")),
    *_accounts("SoFi",
               ("Checking and Savings", "SoFi Checking and Savings", "SoFi Checking",
                "SoFi Savings")),
    *_plans("SoFi", "loan", ("Personal Loan", "SoFi Personal Loan")),
    *_accounts("Marcus by Goldman Sachs",
               ("Online Savings", "Marcus Online Savings", "High-Yield Online Savings"),
               ("No-Penalty CD", "Marcus No-Penalty CD")),
    *_plans("Verizon", "plan",
            ("Unlimited Welcome", "Verizon Unlimited Welcome"),
            ("Unlimited Plus", "Verizon Unlimited Plus"),
            ("Unlimited Ultimate", "Verizon Unlimited Ultimate"),
            ("Fios Home Internet", "Fios", "Verizon Fios")),
    *_plans("T-Mobile", "plan",
            ("Go5G", "Go5G Plus"),
            ("Essentials", "T-Mobile Essentials"),
            ("Experience More", "Experience Beyond"),
            ("Home Internet", "T-Mobile Home Internet", "5G Home Internet")),
    *_plans("AT&T", "plan",
            ("Unlimited Starter", "AT&T Unlimited Starter"),
            ("Unlimited Extra", "AT&T Unlimited Extra"),
            ("Unlimited Premium", "AT&T Unlimited Premium"),
            ("AT&T Fiber", "Fiber")),
)


def products_by_company(products: tuple[Product, ...] | list[Product] = KNOWN_PRODUCTS
                        ) -> dict[str, list[Product]]:
    """The products of each company, in catalogue order."""
    out: dict[str, list[Product]] = {}
    for product in products:
        out.setdefault(product.company, []).append(product)
    return out
