#include "metercert/devices/cme3100/csv.hpp"

#include <csv.h>

#include <new>
#include <string_view>

#include <fmt/format.h>

#include "csv_table.hpp"

namespace metercert::devices::cme3100 {

std::string RowError::message() const { return fmt::format("row {}: {}: {}", row, name, detail); }

CsvError::CsvError(std::string n, std::size_t r, std::size_t o, const std::string& text)
    : std::runtime_error(fmt::format("row {}: {}", r, text)), name(std::move(n)), row(r), offset(o) {}

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

namespace detail {

std::optional<CsvTable> read_table(const std::string& csv, std::initializer_list<const char*> required,
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

}  // namespace detail

}  // namespace metercert::devices::cme3100
