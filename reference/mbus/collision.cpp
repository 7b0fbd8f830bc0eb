#include "metercert/mbus/collision.hpp"

#include <algorithm>

namespace metercert::mbus {

std::vector<std::uint8_t> collide(const std::vector<std::vector<std::uint8_t>>& replies) {
    std::size_t n = 0;
    for (const auto& r : replies) n = std::max(n, r.size());
    std::vector<std::uint8_t> out(n, 0xFF);
    for (const auto& r : replies)
        for (std::size_t i = 0; i < r.size(); ++i) out[i] &= r[i];
    return out;
}

UartResult collide_uart(const std::vector<std::vector<std::uint8_t>>& replies,
                        const std::vector<unsigned>& offsets_tenths) {
    constexpr std::size_t kTicks = 10;  // resolution: tenths of a bit
    unsigned base = ~0u;
    for (unsigned o : offsets_tenths) base = std::min(base, o);
    std::size_t len = 0;
    for (std::size_t r = 0; r < replies.size(); ++r)
        len = std::max(len, (offsets_tenths[r] - base) + replies[r].size() * 11 * kTicks);
    len += 11 * kTicks;  // idle tail
    std::vector<std::uint8_t> line(len, 1);
    for (std::size_t r = 0; r < replies.size(); ++r) {
        std::size_t t = offsets_tenths[r] - base;
        for (std::uint8_t byte : replies[r]) {
            unsigned bits[11];
            bits[0] = 0;
            unsigned ones = 0;
            for (unsigned b = 0; b < 8; ++b) ones += bits[1 + b] = (byte >> b) & 1u;
            bits[9] = ones & 1u;  // even parity
            bits[10] = 1;
            for (unsigned bit : bits) {
                if (bit == 0) std::fill(line.begin() + static_cast<long>(t), line.begin() + static_cast<long>(t + kTicks), 0);
                t += kTicks;
            }
        }
    }
    UartResult out;
    std::size_t t = 0;
    while (t + 11 * kTicks <= len) {
        if (line[t] != 0) {  // idle: wait for a falling edge
            ++t;
            continue;
        }
        auto sample = [&](unsigned bit) { return line[t + bit * kTicks + kTicks / 2]; };
        if (sample(0) != 0) {  // a glitch shorter than half a bit: not a start bit
            ++t;
            continue;
        }
        std::uint8_t byte = 0;
        unsigned ones = 0;
        for (unsigned b = 0; b < 8; ++b)
            if (sample(1 + b)) byte = static_cast<std::uint8_t>(byte | (1u << b)), ++ones;
        if (sample(9) != (ones & 1u)) ++out.parity_errors;
        out.bytes.push_back(byte);
        if (sample(10) != 1) {
            ++out.framing_errors;
            t += 10 * kTicks + kTicks / 2;  // resync from the middle of the stop bit
            while (t < len && line[t] == 0) ++t;
            continue;
        }
        t += 10 * kTicks + kTicks / 2;  // middle of the stop bit: the next start is a falling edge
    }
    return out;
}

}  // namespace metercert::mbus
