#include "metercert/mbus/decimal.hpp"

#include <algorithm>
#include <cstdint>

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

namespace {

// Digits of m in reverse order into `digits`; 64-bit arithmetic whenever the value allows
// (128-bit division is a library call and dominated the JSON writer).
int reverse_digits(u128 m, char* digits) noexcept {
    int n = 0;
    while (m > UINT64_MAX) {
        digits[n++] = static_cast<char>('0' + static_cast<int>(m % 10));
        m /= 10;
    }
    auto m64 = static_cast<std::uint64_t>(m);
    do {
        digits[n++] = static_cast<char>('0' + static_cast<int>(m64 % 10));
        m64 /= 10;
    } while (m64 != 0);
    return n;
}

}  // namespace

char* Decimal::write(char* out) const noexcept {
    if (mantissa == 0) {
        *out++ = '0';
        return out;
    }
    const u128 mag = mantissa < 0 ? static_cast<u128>(-(mantissa + 1)) + 1 : static_cast<u128>(mantissa);
    char digits[48];
    int n = reverse_digits(mag, digits);
    // normalise: trailing zeros of the mantissa become exponent
    int exp = exponent;
    int skip = 0;
    while (skip < n - 1 && digits[skip] == '0') {
        ++skip;
        ++exp;
    }
    const char* d = digits + skip;
    n -= skip;
    if (mantissa < 0) *out++ = '-';
    if (exp >= 0) {
        for (int i = n - 1; i >= 0; --i) *out++ = d[i];
        for (int i = 0; i < exp; ++i) *out++ = '0';
        return out;
    }
    const int frac = -exp;
    if (frac >= n) {
        *out++ = '0';
        *out++ = '.';
        for (int i = 0; i < frac - n; ++i) *out++ = '0';
        for (int i = n - 1; i >= 0; --i) *out++ = d[i];
        return out;
    }
    for (int i = n - 1; i >= frac; --i) *out++ = d[i];
    *out++ = '.';
    for (int i = frac - 1; i >= 0; --i) *out++ = d[i];
    return out;
}

std::string Decimal::to_string() const {
    std::string s(max_chars(), '\0');
    s.resize(static_cast<std::size_t>(write(s.data()) - s.data()));
    return s;
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
    if (exponent > 4096 || exponent < -4096) return std::nullopt;
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
