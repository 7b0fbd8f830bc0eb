#include "metercert/devices/cme3100/meter_list.hpp"

#include <csv.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <new>
#include <set>
#include <stdexcept>
#include <string_view>

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

CsvError::CsvError(std::string n, std::size_t r, std::size_t o, const std::string& text)
    : std::runtime_error(fmt::format("row {}: {}", r, text)), name(std::move(n)), row(r), offset(o) {}

namespace {

// Offset of the first byte that is not text: a control byte other than TAB, LF, CR, or a byte
// sequence that is not UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). `why` says which. npos when the whole text is UTF-8 text.
std::size_t first_binary(std::string_view t, const char*& why) {
    const auto* b = reinterpret_cast<const unsigned char*>(t.data());
    const std::size_t n = t.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = b[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                why = c == 0 ? "a NUL byte" : "a control character";
                return i;
            }
            ++i;
            continue;
        }
        why = "bytes that are not UTF-8 (save the file as \"CSV UTF-8\")";
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;       // overlong
            else if (c == 0xED) hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;       // overlong
            else if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (i + len > n) return i;
        if (b[i + 1] < lo || b[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
        i += len;
    }
    return std::string_view::npos;
}

struct Parse {
    CsvState st;
    std::size_t failed_at = std::string_view::npos;  // offset of the byte libcsv rejected
    std::size_t open_quote = std::string_view::npos;  // offset of the quote that opened the current field
    bool unterminated = false;
    int error = 0;
};

// Runs libcsv over `t` (offsets relative to `t`). The text is fed in pieces that end
// at quote characters, so that the quote that opens a quoted field is known by its offset
// (csv_parser's pstate/quoted/entry_pos are public in csv.h: FIELD_BEGUN = 2, nothing
// collected yet = the quote just opened the field).
Parse run_libcsv(std::string_view t, unsigned char delim, bool finish) {
    Parse r;
    csv_parser p{};
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) throw std::bad_alloc();
    csv_set_delim(&p, delim);
    std::size_t pos = 0;
    while (pos < t.size()) {
        const std::size_t q = t.find('"', pos);
        const std::size_t end = q == std::string_view::npos ? t.size() : q + 1;
        const std::size_t done = csv_parse(&p, t.data() + pos, end - pos, on_field, on_record, &r.st);
        if (done != end - pos) {
            r.error = csv_error(&p);
            r.failed_at = pos + done;
            csv_free(&p);
            return r;
        }
        if (q != std::string_view::npos && p.pstate == 2 && p.quoted && p.entry_pos == 0) r.open_quote = q;
        pos = end;
    }
    if (finish && csv_fini(&p, on_field, on_record, &r.st) != 0) {
        r.error = csv_error(&p);
        r.unterminated = true;
    }
    csv_free(&p);
    return r;
}

}  // namespace

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::string_view t = text;
    std::size_t base = 0;
    if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(base = 3);  // Excel's "CSV UTF-8"
    if (text.size() > kMaxCsvBytes)
        throw CsvError("too_large", 1, kMaxCsvBytes, fmt::format("the file has {} bytes; the limit is {}", text.size(), kMaxCsvBytes));
    // A header with ';' but no ',' is a semicolon-separated file (Excel in many locales).
    const std::string_view first = t.substr(0, t.find('\n'));
    const unsigned char delim = first.find(';') != std::string_view::npos && first.find(',') == std::string_view::npos ? ';' : ',';
    auto fail = [&](const Parse& r) -> CsvError {
        if (r.error == CSV_ENOMEM || r.error == CSV_ETOOBIG) throw std::bad_alloc();  // cannot happen below the size limit
        return CsvError("bad_quote", r.st.rows.size() + 1, base + r.failed_at,
                        fmt::format("quote inside an unquoted field, or text after a closing quote (byte {})", base + r.failed_at));
    };
    const char* why = "";
    if (const std::size_t bad = first_binary(t, why); bad != std::string_view::npos) {
        // the row it is on, as the CSV reader counts rows; a quote error before it comes first
        const Parse r = run_libcsv(t.substr(0, bad), delim, false);
        if (r.error) throw fail(r);
        if (t.substr(0, 2) == "\xFF\xFE" || t.substr(0, 2) == "\xFE\xFF") why = "a UTF-16 byte-order mark (save the file as \"CSV UTF-8\")";
        throw CsvError("binary_content", r.st.rows.size() + 1, base + bad, fmt::format("binary content at byte {}: {}", base + bad, why));
    }
    Parse r = run_libcsv(t, delim, true);
    if (r.unterminated)
        throw CsvError("unterminated_quoted_field", r.st.rows.size() + 1,
                       base + (r.open_quote == std::string_view::npos ? t.size() : r.open_quote), "unterminated quoted field");
    if (r.error) throw fail(r);
    return std::move(r.st.rows);
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
            if (man.size() != 3 || !std::all_of(man.begin(), man.end(), [](char c) { return std::toupper(static_cast<unsigned char>(c)) >= 'A' && std::toupper(static_cast<unsigned char>(c)) <= 'Z'; })) {
                out.errors.push_back({line, "bad_manufacturer", fmt::format("{}: expected 3 letters or *", shown(man))});
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
                out.errors.push_back({line, name, fmt::format("{}: expected -1 or 0–255", shown(v))});
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
