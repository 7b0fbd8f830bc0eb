// EN 13757-4 CRC-16 (wireless M-Bus link layer, ELL payload): polynomial 0x3D65, initial value
// 0, result complemented; the check value of "123456789" is 0xC2B7.
#pragma once

#include <cstdint>
#include <span>

namespace metercert::wmbus {

std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace metercert::wmbus
