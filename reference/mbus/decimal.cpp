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
    std::size_t i = 0;
    const bool neg = !s.empty() && s[0] == '-';
    if (neg) i = 1;
    const std::size_t dot = s.find('.', i);
    const std::string_view whole = s.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (whole.empty() || (dot != std::string_view::npos && frac.empty())) return std::nullopt;
    for (std::string_view part : {whole, frac})
        for (char ch : part)
            if (ch < '0' || ch > '9') return std::nullopt;
    // digits = whole ++ frac, value = digits × 10^-|frac|; drop trailing zeros into the exponent
    int exponent = -static_cast<int>(frac.size());
    std::string_view w = whole, f = frac;
    while (!f.empty() && f.back() == '0') {
        f.remove_suffix(1);
        ++exponent;
    }
    if (f.empty())
        while (w.size() > 1 && w.back() == '0') {
            w.remove_suffix(1);
            ++exponent;
        }
    i128 m = 0;
    int significant = 0;
    for (std::string_view part : {w, f})
        for (char ch : part) {
            if (m != 0 || ch != '0') ++significant;
            if (significant > 38) return std::nullopt;
            m = m * 10 + (ch - '0');
        }
    return Decimal{neg ? -m : m, m == 0 ? 0 : exponent};
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
