#include "metercert/mbus/secondary_address.hpp"

#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "metercert/mbus/bcd.hpp"

namespace metercert::mbus {

std::optional<std::uint32_t> parse_identification(std::string_view text) noexcept {
    if (text.size() != 8) return std::nullopt;
    return parse_bcd(text);
}

std::string SecondaryAddress::to_string() const {
    return fmt::format("{:08X}{:04X}{:02X}{:02X}", id, manufacturer, version, medium);
}

unsigned SecondaryMask::nibble(unsigned pos) const noexcept {
    if (pos < 8) return (id >> (4 * (7 - pos))) & 0xF;
    if (pos < 12) return (manufacturer >> (4 * (11 - pos))) & 0xF;
    if (pos < 14) return (version >> (4 * (13 - pos))) & 0xF;
    return (medium >> (4 * (15 - pos))) & 0xF;
}

SecondaryMask SecondaryMask::with(unsigned pos, unsigned value) const noexcept {
    SecondaryMask m = *this;
    auto put = [value](auto& field, unsigned shift) {
        using T = std::remove_reference_t<decltype(field)>;
        field = static_cast<T>((field & ~(T(0xF) << shift)) | (T(value & 0xF) << shift));
    };
    if (pos < 8) put(m.id, 4 * (7 - pos));
    else if (pos < 12) put(m.manufacturer, 4 * (11 - pos));
    else if (pos < 14) put(m.version, 4 * (13 - pos));
    else put(m.medium, 4 * (15 - pos));
    return m;
}

SecondaryMask SecondaryMask::parse(const std::string& text) {
    if (text.size() != 8 && text.size() != 16)
        throw std::invalid_argument(fmt::format("secondary address '{}': expected 8 or 16 hex digits, got {}", text, text.size()));
    SecondaryMask m;
    for (unsigned i = 0; i < text.size(); ++i) {
        const char c = text[i];
        unsigned v;
        if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0');
        else if (c >= 'A' && c <= 'F') v = static_cast<unsigned>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
        else throw std::invalid_argument(fmt::format("secondary address '{}': '{}' at position {} is not a hex digit", text, c, i));
        if (i < 8 && v > 9 && v != 0xF)
            throw std::invalid_argument(fmt::format("secondary address '{}': ID digit at position {} must be 0-9 or F (wildcard)", text, i));
        m = m.with(i, v);
    }
    return m;
}

std::vector<std::uint8_t> SecondaryMask::user_data() const {
    return {static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id >> 16),
            static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(manufacturer),
            static_cast<std::uint8_t>(manufacturer >> 8), version, medium};
}

SecondaryMask SecondaryMask::from_user_data(std::span<const std::uint8_t> data) noexcept {
    std::uint8_t ud[8];
    for (std::size_t i = 0; i < 8; ++i) ud[i] = i < data.size() ? data[i] : 0xFF;
    return {static_cast<std::uint32_t>(ud[0] | ud[1] << 8 | ud[2] << 16 | static_cast<std::uint32_t>(ud[3]) << 24),
            static_cast<std::uint16_t>(ud[4] | ud[5] << 8), ud[6], ud[7]};
}

bool SecondaryMask::matches(const SecondaryAddress& a) const noexcept {
    const SecondaryMask exact = SecondaryMask::exact(a);
    for (unsigned pos = 0; pos < 16; ++pos) {
        const unsigned w = nibble(pos);
        if (w != 0xF && w != exact.nibble(pos)) return false;
    }
    return true;
}

std::string SecondaryMask::to_string() const {
    return fmt::format("{:08X}{:04X}{:02X}{:02X}", id, manufacturer, version, medium);
}

}  // namespace metercert::mbus
