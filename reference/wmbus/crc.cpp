#include "metercert/wmbus/crc.hpp"

#include <array>

namespace metercert::wmbus {

namespace {
constexpr std::array<std::uint16_t, 256> kTable = [] {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        unsigned r = i << 8;
        for (int j = 0; j < 8; ++j) r = (r & 0x8000) ? ((r << 1) ^ 0x3D65) : (r << 1);
        t[i] = static_cast<std::uint16_t>(r);
    }
    return t;
}();
}  // namespace

std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept {
    std::uint16_t c = 0;
    for (std::uint8_t b : bytes) c = static_cast<std::uint16_t>((c << 8) ^ kTable[((c >> 8) ^ b) & 0xFF]);
    return static_cast<std::uint16_t>(~c);
}

}  // namespace metercert::wmbus
