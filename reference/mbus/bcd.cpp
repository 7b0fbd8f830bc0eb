#include "metercert/mbus/bcd.hpp"

namespace metercert::mbus {

bool read_bcd(const std::uint8_t* p, std::size_t n, Decimal& out, bool signed_msd) noexcept {
    i128 v = 0;
    bool negative = false;
    for (std::size_t i = n; i-- > 0;) {
        const unsigned hi = p[i] >> 4, lo = p[i] & 0x0F;
        if (signed_msd && i == n - 1 && hi == 0xF) {
            negative = true;  // EN 13757-3 Annex A type A: MS nibble F = minus sign
        } else if (hi > 9) {
            return false;
        } else {
            v = v * 10 + hi;
        }
        if (lo > 9) return false;
        v = v * 10 + lo;
    }
    if (negative && v == 0) return false;  // "−0": no such number (ERRATA E-7)
    out = {negative ? -v : v, 0};
    return true;
}

bool append_bcd(std::vector<std::uint8_t>& out, i128 v, std::size_t n) {
    const bool neg = v < 0;
    u128 m = neg ? static_cast<u128>(-v) : static_cast<u128>(v);
    const std::size_t digits = 2 * n - (neg ? 1 : 0);
    std::vector<std::uint8_t> nib(2 * n, 0);
    for (std::size_t i = 0; i < digits; ++i) {
        nib[i] = static_cast<std::uint8_t>(m % 10);
        m /= 10;
    }
    if (m != 0) return false;
    if (neg) nib[2 * n - 1] = 0xF;
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(nib[2 * i] | (nib[2 * i + 1] << 4)));
    return true;
}

}  // namespace metercert::mbus
