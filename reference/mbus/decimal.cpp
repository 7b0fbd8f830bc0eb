#include "metercert/mbus/decimal.hpp"

#include <algorithm>

namespace metercert::mbus {

Decimal Decimal::normalized() const noexcept {
    if (mantissa == 0) return {0, 0};
    Decimal d = *this;
    while (d.mantissa % 10 == 0) {
        d.mantissa /= 10;
        ++d.exponent;
    }
    return d;
}

bool operator==(const Decimal& a, const Decimal& b) noexcept {
    const Decimal x = a.normalized();
    const Decimal y = b.normalized();
    return x.mantissa == y.mantissa && x.exponent == y.exponent;
}

char* Decimal::write(char* out) const noexcept {
    const Decimal d = normalized();
    if (d.mantissa == 0) {
        *out++ = '0';
        return out;
    }
    u128 m = d.mantissa < 0 ? static_cast<u128>(-(d.mantissa + 1)) + 1
                                         : static_cast<u128>(d.mantissa);
    char digits[48];
    int n = 0;
    while (m != 0) {
        digits[n++] = static_cast<char>('0' + static_cast<int>(m % 10));
        m /= 10;
    }
    if (d.mantissa < 0) *out++ = '-';
    if (d.exponent >= 0) {
        for (int i = n - 1; i >= 0; --i) *out++ = digits[i];
        for (int i = 0; i < d.exponent && i < 40; ++i) *out++ = '0';
        return out;
    }
    const int frac = -d.exponent;
    if (frac >= n) {
        *out++ = '0';
        *out++ = '.';
        for (int i = 0; i < frac - n && i < 40; ++i) *out++ = '0';
        for (int i = n - 1; i >= 0; --i) *out++ = digits[i];
        return out;
    }
    for (int i = n - 1; i >= frac; --i) *out++ = digits[i];
    *out++ = '.';
    for (int i = frac - 1; i >= 0; --i) *out++ = digits[i];
    return out;
}

std::string Decimal::to_string() const {
    char buf[160];
    return {buf, write(buf)};
}

std::optional<Decimal> Decimal::parse(std::string_view s) noexcept {
    if (s.empty()) return std::nullopt;
    bool neg = false;
    std::size_t i = 0;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    Decimal d;
    int digits = 0;
    bool seen_dot = false, any = false;
    for (; i < s.size(); ++i) {
        const char ch = s[i];
        if (ch == '.') {
            if (seen_dot || !any) return std::nullopt;
            seen_dot = true;
            continue;
        }
        if (ch < '0' || ch > '9') return std::nullopt;
        any = true;
        if (d.mantissa != 0 || ch != '0') ++digits;
        if (digits > 38) return std::nullopt;
        d.mantissa = d.mantissa * 10 + (ch - '0');
        if (seen_dot) --d.exponent;
    }
    if (!any || s.back() == '.') return std::nullopt;
    if (neg) d.mantissa = -d.mantissa;
    return d;
}

std::optional<i128> Decimal::scaled_to(int exp) const noexcept {
    // value = mantissa × 10^exponent; want integer r with r × 10^exp == value.
    i128 m = mantissa;
    int shift = exponent - exp;
    if (shift >= 0) {
        for (int i = 0; i < shift; ++i) {
            if (m > static_cast<i128>(1) << 120 || m < -(static_cast<i128>(1) << 120)) return std::nullopt;
            m *= 10;
        }
        return m;
    }
    for (int i = 0; i < -shift; ++i) {
        if (m % 10 != 0) return std::nullopt;
        m /= 10;
    }
    return m;
}

}  // namespace metercert::mbus
