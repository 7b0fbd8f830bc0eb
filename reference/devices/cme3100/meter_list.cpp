#include "metercert/devices/cme3100/meter_list.hpp"

#include <set>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "metercert/mbus/secondary_address.hpp"

namespace metercert::devices::cme3100 {

using namespace detail;

std::string_view addressing_mode_name(AddressingMode m) noexcept {
    switch (m) {
        case AddressingMode::primary: return "primary";
        case AddressingMode::secondary: return "secondary";
        case AddressingMode::esecondary: return "esecondary";
    }
    return "?";
}

MeterListImport import_meter_list(const std::string& csv, std::size_t licence_limit) {
    MeterListImport out;
    const auto t = read_table(csv, {"position", "secondaryaddress", "baudrate", "addressingmode"},
                              "Position, SecondaryAddress, BaudRate, AddressingMode, PrimaryAddress, EnhancedAddress (Figure 4)",
                              out.errors);
    if (!t) return out;
    const Header& h = t->h;
    const int c_pos = h.at("position"), c_sec = h.at("secondaryaddress"), c_baud = h.at("baudrate"),
              c_mode = h.at("addressingmode"), c_pri = h.at("primaryaddress"), c_enh = h.at("enhancedaddress");
    std::set<std::pair<std::uint32_t, int>> seen;
    for_each_row(*t, out.errors, [&](const std::vector<std::string>& row, std::size_t line) {
        MeterListEntry m;
        m.position = field(row, c_pos);
        const std::string sec = field(row, c_sec);
        const auto id = mbus::parse_identification(sec);
        if (!id) {
            out.errors.push_back({line, "bad_secondary_address", fmt::format("'{}' is not an 8-digit number", sec)});
            return;
        }
        m.secondary = *id;
        const std::string baud = field(row, c_baud);
        if (baud != "300" && baud != "2400") {
            out.errors.push_back({line, "bad_baud_rate", fmt::format("'{}': expected 300 or 2400", baud)});
            return;
        }
        m.baud = baud == "300" ? 300 : 2400;
        const std::string mode = lower(field(row, c_mode));
        if (mode == "primary") m.mode = AddressingMode::primary;
        else if (mode == "secondary") m.mode = AddressingMode::secondary;
        else if (mode == "esecondary") m.mode = AddressingMode::esecondary;
        else {
            out.errors.push_back({line, "bad_addressing_mode",
                                  fmt::format("'{}': expected primary, secondary or esecondary", field(row, c_mode))});
            return;
        }
        const std::string pri = field(row, c_pri);
        if (!pri.empty()) {
            const auto a = integer(pri);
            if (!a || *a < 0 || *a > 250) {
                out.errors.push_back({line, "bad_primary_address", fmt::format("'{}': expected 0–250", pri)});
                return;
            }
            m.primary = static_cast<std::uint8_t>(*a);
        } else if (m.mode == AddressingMode::primary) {
            out.errors.push_back({line, "missing_primary_address", "primary addressing mode needs a PrimaryAddress"});
            return;
        }
        m.enhanced = field(row, c_enh);
        if (!seen.insert({m.secondary, static_cast<int>(m.mode)}).second) {
            out.errors.push_back({line, "duplicate_meter", fmt::format("secondary address {:08X} is listed twice", m.secondary)});
            return;
        }
        m.passive = out.meters.size() >= licence_limit;
        out.meters.push_back(std::move(m));
    });
    return out;
}

std::string export_meter_list(const std::vector<MeterListEntry>& meters) {
    std::string out = csv_line({"Position", "SecondaryAddress", "BaudRate", "AddressingMode", "PrimaryAddress", "EnhancedAddress"}) + "\r\n";
    for (const auto& m : meters)
        out += csv_line({m.position, fmt::format("{:08X}", m.secondary), std::to_string(m.baud),
                         std::string(addressing_mode_name(m.mode)), m.primary ? std::to_string(*m.primary) : "", m.enhanced}) +
               "\r\n";
    return out;
}

}  // namespace metercert::devices::cme3100
