#include "metercert/devices/cme3100/key_file.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "metercert/mbus/tables.hpp"

namespace metercert::devices::cme3100 {

using namespace detail;

namespace {
// A key-file field as a message may show it: quoted when it has at most 10 characters, else its
// length only, so that a key typed into another column never reaches a message.
std::string shown(const std::string& f) {
    return f.size() <= 10 ? fmt::format("'{}'", f) : fmt::format("a value of {} characters", f.size());
}
}  // namespace

std::string KeyEntry::describe() const {
    return fmt::format("row {}: address {}, manufacturer {}, device type {}, version {}", row,
                       address ? fmt::format("{:08X}", *address) : "any",
                       manufacturer ? mbus::manufacturer_letters(*manufacturer) : "any",
                       medium ? std::to_string(*medium) : "any", version ? std::to_string(*version) : "any");
}

KeyFileImport import_key_file(const std::string& csv) {
    KeyFileImport out;
    const auto t = read_table(csv, {"address", "key", "manufacturer", "devicetype", "version"},
                              "Address, Key, Manufacturer, DeviceType, Version (Figure 7)", out.errors);
    if (!t) return out;
    const Header& h = t->h;
    const int c_addr = h.at("address"), c_key = h.at("key"), c_man = h.at("manufacturer"), c_type = h.at("devicetype"),
              c_ver = h.at("version");
    for_each_row(*t, out.errors, [&](const std::vector<std::string>& row, std::size_t line) {
        KeyEntry k;
        k.row = line;
        const std::string addr = field(row, c_addr);
        if (addr != "-1") {
            const auto id = mbus::parse_identification(addr);
            if (!id) {
                out.errors.push_back({line, "bad_address", fmt::format("{}: expected -1 or an 8-digit secondary address", shown(addr))});
                return;
            }
            k.address = *id;
        }
        const std::string key = field(row, c_key);
        if (key.size() != 32) {  // the length only: the key itself never goes into a message
            out.errors.push_back({line, "bad_key_length", fmt::format("the key has {} characters, expected 32 hex digits", key.size())});
            return;
        }
        bool hex_ok = true;
        for (std::size_t j = 0; j < 16 && hex_ok; ++j) {
            auto nib = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int hi = nib(key[2 * j]), lo = nib(key[2 * j + 1]);
            if (hi < 0 || lo < 0) hex_ok = false;
            else k.key[j] = static_cast<std::uint8_t>(hi << 4 | lo);
        }
        if (!hex_ok) {
            out.errors.push_back({line, "bad_key", "the key is not 32 hex digits"});
            return;
        }
        const std::string man = field(row, c_man);
        if (man != "*") {
            std::string letters = man;  // the manual's files write the letters in either case
            std::transform(letters.begin(), letters.end(), letters.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            const auto code = mbus::manufacturer_code(letters);
            if (!code) {
                out.errors.push_back({line, "bad_manufacturer", fmt::format("{}: expected 3 letters or *", shown(man))});
                return;
            }
            k.manufacturer = *code;
        }
        auto byte_or_any = [&](int col, const char* name, std::optional<std::uint8_t>& dst) {
            const std::string v = field(row, col);
            if (v == "-1") return true;
            const auto n = integer(v);
            if (!n || *n < 0 || *n > 255) {
                out.errors.push_back({line, name, fmt::format("{}: expected -1 or 0–255", shown(v))});
                return false;
            }
            dst = static_cast<std::uint8_t>(*n);
            return true;
        };
        if (!byte_or_any(c_type, "bad_device_type", k.medium)) return;
        if (!byte_or_any(c_ver, "bad_version", k.version)) return;
        out.keys.push_back(k);
    });
    return out;
}

const KeyEntry* match_key(const std::vector<KeyEntry>& keys, const mbus::SecondaryAddress& m, const KeyEntry* linked) {
    if (linked) return linked;
    const KeyEntry* best = nullptr;
    int best_score = -1;
    for (const auto& k : keys) {
        if (k.address && *k.address != m.id) continue;
        if (k.manufacturer && *k.manufacturer != m.manufacturer) continue;
        if (k.medium && *k.medium != m.medium) continue;
        if (k.version && *k.version != m.version) continue;
        const int score = (k.address ? 8 : 0) + (k.manufacturer ? 1 : 0) + (k.medium ? 1 : 0) + (k.version ? 1 : 0);
        if (score > best_score) best = &k, best_score = score;  // ties: the earlier row stays
    }
    return best;
}

}  // namespace metercert::devices::cme3100
