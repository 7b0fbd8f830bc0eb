// The table both CMe3100 importers read (Meter List, key file): the header row, its columns by
// name, and the rows after it. Internal to reference/devices/cme3100/ (not a public header).
#pragma once

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "metercert/devices/cme3100/csv.hpp"

namespace metercert::devices::cme3100::detail {

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

inline std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

inline bool blank(const std::vector<std::string>& row) {
    return std::all_of(row.begin(), row.end(), [](const std::string& f) { return trim(f).empty(); });
}

inline std::optional<long> integer(const std::string& s) {
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

inline Header header_of(const std::vector<std::string>& row) {
    Header h;
    h.fields = row.size();
    for (std::size_t i = 0; i < row.size(); ++i) h.col[lower(trim(row[i]))] = i;
    return h;
}

inline std::string field(const std::vector<std::string>& row, int idx) {
    return idx >= 0 && static_cast<std::size_t>(idx) < row.size() ? trim(row[static_cast<std::size_t>(idx)]) : std::string{};
}

struct CsvTable {
    std::vector<std::vector<std::string>> rows;
    std::size_t header = 0;  // index of the header row
    Header h;
};

// The header is the first non-blank row and must name every `required` column; otherwise a
// missing_header error (naming `expected`) and nullopt. Throws CsvError (parse_csv).
std::optional<CsvTable> read_table(const std::string& csv, std::initializer_list<const char*> required,
                                   const char* expected, std::vector<RowError>& errors);

// Calls f(row, spreadsheet_row) for every non-blank data row that has no more fields than the
// header (others: wrong_field_count).
template <class F>
void for_each_row(const CsvTable& t, std::vector<RowError>& errors, F&& f) {
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

}  // namespace metercert::devices::cme3100::detail
