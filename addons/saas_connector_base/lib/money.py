"""Integer minor units <-> Decimal amounts, decided by the currency's ISO 4217 exponent.

Providers send amounts as integers in the currency's smallest unit (cents, yen, fils). The
exponent is a property of the currency, not of the provider: JPY has none, BHD has three.
Everything here is exact (``Decimal``); a float never touches an amount.
"""

from decimal import Decimal
from fractions import Fraction

# ISO 4217 currencies whose minor unit is not 1/100. Stripe's documented zero-decimal list is
# a subset of the 0 group; three-decimal currencies are charged in thousandths.
_EXPONENT_BY_CURRENCY = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
DEFAULT_EXPONENT = 2


def currency_exponent(currency_code):
    """Number of decimal places of ``currency_code`` (case-insensitive ISO 4217 code)."""
    if not currency_code:
        raise ValueError("a currency code is required to interpret a minor-unit amount")
    return _EXPONENT_BY_CURRENCY.get(currency_code.upper(), DEFAULT_EXPONENT)


def from_minor_units(amount, currency_code):
    """``1999, 'usd'`` → ``Decimal('19.99')``; ``500, 'jpy'`` → ``Decimal('500')``."""
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"minor-unit amounts are integers, got {amount!r}")
    exponent = currency_exponent(currency_code)
    return Decimal(amount).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def to_minor_units(amount, currency_code):
    """``Decimal('19.99'), 'usd'`` → ``1999``. Refuses amounts finer than the currency allows,
    because rounding there would silently move money."""
    exponent = currency_exponent(currency_code)
    scaled = Decimal(str(amount)).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"{amount} {currency_code.upper()} has more than {exponent} decimal places"
        )
    return int(scaled)


def odoo_decimal(amount, currency):
    """An amount as Odoo stores it — a float the ORM rounded to ``currency`` (anything with
    ``decimal_places``, a ``res.currency`` record) — as the exact Decimal it stands for: its
    representation at the currency's precision is exact, the float itself is not."""
    decimal = Decimal(f"{amount:.{currency.decimal_places}f}")
    # Odoo's float_repr writes a value that rounds to zero as 0, never -0.
    return decimal if decimal else abs(decimal)


def allocate(total, weights):
    """Split the integer ``total`` (minor units) in proportion to ``weights`` (integers or
    fractions, of any sign, not summing to zero): the parts are integers that sum to
    ``total`` exactly, each less than one unit from its exact share.

    Cumulative rounding: with ``W_i`` the share of the weights ``1..i``, part ``i`` is
    ``R(total * W_i) - R(total * W_(i-1))``, ``R`` rounding half away from zero, so the split of
    ``-total`` is the negation of the split of ``total``."""
    weights = [Fraction(weight) for weight in weights]
    total_weight = sum(weights)
    if not total_weight:
        raise ValueError("weights summing to zero cannot share an amount")
    parts = []
    cumulative = Fraction(0)
    allocated = 0
    for weight in weights:
        cumulative += weight
        share = total * cumulative / total_weight
        whole, rest = divmod(abs(share.numerator), share.denominator)
        target = (whole + (2 * rest >= share.denominator)) * (1 if share >= 0 else -1)
        parts.append(target - allocated)
        allocated = target
    return parts
