#include "metercert/devices/cme3100/meter_list.hpp"

#include <csv.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "metercert/master/master.hpp"
#include "metercert/mbus/tables.hpp"

namespace metercert::devices::cme3100 {

std::string RowError::message() const { return fmt::format("row {}: {}: {}", row, name, detail); }

namespace {

struct CsvState {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> current;
    int last_term = 0;
};

void on_field(void* s, std::size_t len, void* data) {
    auto* st = static_cast<CsvState*>(data);
    st->current.emplace_back(s ? static_cast<const char*>(s) : "", s ? len : 0);
}

// With CSV_REPALL_NL every line end ends a record, so blank lines keep the row numbering of a
// spreadsheet; the LF of a CRLF pair ends an empty record that is dropped.
void on_record(int term, void* data) {
    auto* st = static_cast<CsvState*>(data);
    const bool crlf_tail = term == '\n' && st->last_term == '\r' && st->current.empty();
    st->last_term = term;
    if (crlf_tail) return;
    st->rows.push_back(std::move(st->current));
    st->current.clear();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool blank(const std::vector<std::string>& row) {
    return std::all_of(row.begin(), row.end(), [](const std::string& f) { return trim(f).empty(); });
}

std::optional<long> integer(const std::string& s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size() || s.find_first_not_of("0123456789", i) != std::string::npos) return std::nullopt;
    return std::stol(s);
}

// Column index per lower-case header name; throws nothing, returns -1 when absent.
struct Header {
    std::map<std::string, std::size_t> col;
    std::size_t fields = 0;
    int at(const std::string& name) const {
        const auto it = col.find(name);
        return it == col.end() ? -1 : static_cast<int>(it->second);
    }
};

Header header_of(const std::vector<std::string>& row) {
    Header h;
    h.fields = row.size();
    for (std::size_t i = 0; i < row.size(); ++i) h.col[lower(trim(row[i]))] = i;
    return h;
}

std::string field(const std::vector<std::string>& row, int idx) {
    return idx >= 0 && static_cast<std::size_t>(idx) < row.size() ? trim(row[static_cast<std::size_t>(idx)]) : std::string{};
}

struct CsvTable {
    std::vector<std::vector<std::string>> rows;
    std::size_t header = 0;  // index of the header row
    Header h;
};

}  // namespace

// The header is the first non-blank row and must name every `required` column; otherwise a
// missing_header error (naming `expected`) and nullopt.
static std::optional<CsvTable> read_table(const std::string& csv, std::initializer_list<const char*> required,
                                          const char* expected, std::vector<RowError>& errors) {
    CsvTable t;
    t.rows = parse_csv(csv);
    while (t.header < t.rows.size() && blank(t.rows[t.header])) ++t.header;
    if (t.header == t.rows.size()) {
        errors.push_back({1, "missing_header", fmt::format("the file has no header row ({})", expected)});
        return std::nullopt;
    }
    t.h = header_of(t.rows[t.header]);
    for (const char* col : required)
        if (t.h.at(col) < 0) {
            errors.push_back({t.header + 1, "missing_header", fmt::format("expected the columns {}", expected)});
            return std::nullopt;
        }
    return t;
}

// Calls f(row, spreadsheet_row) for every non-blank data row that has no more fields than the
// header (others: wrong_field_count).
template <class F>
static void for_each_row(const CsvTable& t, std::vector<RowError>& errors, F&& f) {
    for (std::size_t i = t.header + 1; i < t.rows.size(); ++i) {
        const auto& row = t.rows[i];
        if (blank(row)) continue;
        if (row.size() > t.h.fields) {
            errors.push_back({i + 1, "wrong_field_count", fmt::format("{} fields, the header has {}", row.size(), t.h.fields)});
            continue;
        }
        f(row, i + 1);
    }
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    csv_parser p{};
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
        throw std::runtime_error("csv: cannot initialise libcsv");
    // A header with ';' but no ',' is a semicolon-separated file (Excel in many locales).
    const std::string first = text.substr(0, text.find('\n'));
    if (first.find(';') != std::string::npos && first.find(',') == std::string::npos) csv_set_delim(&p, ';');
    CsvState st;
    const std::size_t done = csv_parse(&p, text.data(), text.size(), on_field, on_record, &st);
    if (done != text.size()) {
        const std::string why = csv_strerror(csv_error(&p));
        csv_free(&p);
        throw std::runtime_error(fmt::format("csv: {} at byte {}", why, done));
    }
    if (csv_fini(&p, on_field, on_record, &st) != 0) {
        csv_free(&p);
        throw std::runtime_error(fmt::format("csv: unterminated quoted field at the end of the file (byte {})", text.size()));
    }
    csv_free(&p);
    return std::move(st.rows);
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        const std::string& f = fields[i];
        if (f.find_first_of(",\"\r\n;") == std::string::npos) {
            out += f;
            continue;
        }
        std::string q(f.size() * 2 + 2, '\0');
        q.resize(csv_write(q.data(), q.size(), f.data(), f.size()));
        out += q;
    }
    return out;
}

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
        const auto id = master::parse_identification(sec);
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

// ---------------------------------------------------------------------- encryption key file

std::string KeyEntry::describe() const {
    return fmt::format("row {}: address {}, manufacturer {}, device type {}, version {}", row,
                       address ? fmt::format("{:08X}", *address) : "any",
                       manufacturer ? mbus::manufacturer_letters(*manufacturer) : "any",
                       device_type ? std::to_string(*device_type) : "any", version ? std::to_string(*version) : "any");
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
            const auto id = master::parse_identification(addr);
            if (!id) {
                out.errors.push_back({line, "bad_address", fmt::format("'{}': expected -1 or an 8-digit secondary address", addr)});
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
            if (man.size() != 3 || !std::all_of(man.begin(), man.end(), [](char c) { return std::toupper(static_cast<unsigned char>(c)) >= 'A' && std::toupper(static_cast<unsigned char>(c)) <= 'Z'; })) {
                out.errors.push_back({line, "bad_manufacturer", fmt::format("'{}': expected 3 letters or *", man)});
                return;
            }
            auto L = [&](std::size_t j) { return static_cast<unsigned>(std::toupper(static_cast<unsigned char>(man[j])) - 64); };
            k.manufacturer = static_cast<std::uint16_t>(L(0) << 10 | L(1) << 5 | L(2));
        }
        auto byte_or_any = [&](int col, const char* name, std::optional<std::uint8_t>& dst) {
            const std::string v = field(row, col);
            if (v == "-1") return true;
            const auto n = integer(v);
            if (!n || *n < 0 || *n > 255) {
                out.errors.push_back({line, name, fmt::format("'{}': expected -1 or 0–255", v)});
                return false;
            }
            dst = static_cast<std::uint8_t>(*n);
            return true;
        };
        if (!byte_or_any(c_type, "bad_device_type", k.device_type)) return;
        if (!byte_or_any(c_ver, "bad_version", k.version)) return;
        out.keys.push_back(k);
    });
    return out;
}

const KeyEntry* match_key(const std::vector<KeyEntry>& keys, const MeterIdentity& m, const KeyEntry* linked) {
    if (linked) return linked;
    const KeyEntry* best = nullptr;
    int best_score = -1;
    for (const auto& k : keys) {
        if (k.address && *k.address != m.address) continue;
        if (k.manufacturer && *k.manufacturer != m.manufacturer) continue;
        if (k.device_type && *k.device_type != m.device_type) continue;
        if (k.version && *k.version != m.version) continue;
        const int score = (k.address ? 8 : 0) + (k.manufacturer ? 1 : 0) + (k.device_type ? 1 : 0) + (k.version ? 1 : 0);
        if (score > best_score) best = &k, best_score = score;  // ties: the earlier row stays
    }
    return best;
}

}  // namespace metercert::devices::cme3100
