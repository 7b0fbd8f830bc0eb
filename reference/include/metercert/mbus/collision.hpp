// Replies that overlap on a wired M-Bus line (EN 13757-2 physical layer), as any simulated bus of
// several slaves needs them (the CMi1020 bus, the CMe3100's Virtual M-Bus meters). Pure logic.
//
// A slave signals a 0 (space) by drawing current and the line idles at 1 (mark), so when several
// slaves answer at once the master receives the bitwise AND of the overlapping bits — in general
// no valid frame, which a FrameReader reports as garbled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace metercert::mbus {

// Bitwise AND of byte strings laid over each other from their first byte (an absent byte is an
// idle line, 0xFF): what slaves in perfect bit synchrony would produce.
std::vector<std::uint8_t> collide(const std::vector<std::vector<std::uint8_t>>& replies);

// What a master's UART receives when replies overlap on the line. Each reply is sent as 11-bit
// characters (start 0, 8 data bits LSB first, even parity, stop 1; EN 13757-2) from its own start
// offset in tenths of a bit time; the line is the AND of every sender (a space wins); the UART
// syncs on a falling edge, samples each bit in its middle and flags a wrong parity or a missing
// stop bit. Slaves never start in exact bit synchrony (their reply delays differ by fractions of
// a bit), so two ACKs (E5) already arrive garbled.
struct UartResult {
    std::vector<std::uint8_t> bytes;
    std::size_t parity_errors = 0;
    std::size_t framing_errors = 0;
};
UartResult collide_uart(const std::vector<std::vector<std::uint8_t>>& replies, const std::vector<unsigned>& offsets_tenths);

// Start offset (tenths of a bit) of the i-th slave's reply relative to the bus's reply gap.
constexpr unsigned reply_offset_tenths(std::size_t i) noexcept { return static_cast<unsigned>((i * 37) % 191); }

}  // namespace metercert::mbus
