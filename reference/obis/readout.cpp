#include "metercert/obis/readout.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace metercert::obis {

namespace {
constexpr char STX = 0x02, ETX = 0x03;

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(' ');
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(' ');
    return std::string(s.substr(b, e - b + 1));
}

// IEC 62056-21 characters are 7-bit ISO 646; inside lines only the printable ones occur.
constexpr bool printable(char c) noexcept { return c >= 0x20 && c <= 0x7E; }

std::string byte_name(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    static constexpr const char* kControl[32] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "TAB", "LF",
                                                 "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
                                                 "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
    if (c < 32) return fmt::format("0x{:02X} ({})", c, kControl[c]);
    if (c == 0x7F) return "0x7F (DEL)";
    if (c >= 0x80) return fmt::format("0x{:02X} (not 7-bit)", c);
    return fmt::format("'{}'", ch);
}

[[noreturn]] void not_text(char c, std::size_t line, std::size_t col, std::string_view where) {
    throw ReadoutError("not_text", line, col,
                       fmt::format("byte {} {}: a readout holds 7-bit printable characters, CR LF line ends, STX and ETX",
                                   byte_name(c), where));
}

// Line text as a quoted, shortened excerpt for details.
std::string excerpt(std::string_view s) {
    return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

// "/" XXX Z ident (IEC 62056-21 identification message): `id` is the line without '/' and line end, all
// printable. The identification follows the baud character directly; it may itself start with
// '\' and an enhanced-identification digit, which belong to it (no assumption of a "\W" here).
void check_identification(std::string_view id) {
    if (id.size() < 5)
        throw ReadoutError("bad_identification", 1, id.size() + 2,
                           "identification needs 3 manufacturer letters, a baud character and an identification");
    for (std::size_t i = 0; i < 3; ++i)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z')))
            throw ReadoutError("bad_identification", 1, i + 2, fmt::format("manufacturer character '{}' is not a letter", id[i]));
    for (std::size_t i = 4; i < id.size(); ++i)
        if (id[i] == '/' || id[i] == '!')
            throw ReadoutError("bad_identification", 1, i + 2,
                               fmt::format("'{}' cannot be part of an identification (IEC 62056-21 identification message)", id[i]));
}

// One data line, line end excluded, every byte printable; `col0` = column of dl[0].
// code(value*unit)(value)… (IEC 62056-21 §6.5: '(' ')' delimit values, '*' starts the unit).
DataLine parse_data_line(std::string_view dl, std::size_t line, std::size_t col0) {
    if (dl.empty()) throw ReadoutError("bad_data_line", line, col0, "empty line inside the data block");
    const auto paren = dl.find('(');
    if (paren == std::string_view::npos || paren == 0)
        throw ReadoutError("bad_data_line", line, col0, fmt::format("'{}' is not code(value)", excerpt(dl)));
    DataLine d;
    d.code_text = std::string(dl.substr(0, paren));
    d.line = line;
    auto code = ObisCode::parse(d.code_text);
    if (!code) throw ReadoutError("bad_obis_code", line, col0, fmt::format("'{}' is not an OBIS code", excerpt(d.code_text)));
    d.code = *code;
    std::size_t i = paren;
    while (i < dl.size()) {
        if (dl[i] != '(') throw ReadoutError("bad_data_line", line, col0 + i, fmt::format("'(' expected, got '{}'", dl[i]));
        const auto close = dl.find(')', i);
        if (close == std::string_view::npos) throw ReadoutError("unterminated_value", line, col0 + i, "value without ')'");
        const std::string_view v = dl.substr(i + 1, close - i - 1);
        if (const auto open = v.find('('); open != std::string_view::npos)
            throw ReadoutError("unterminated_value", line, col0 + i, "'(' inside a value: the value has no ')'");
        const auto star = v.find('*');
        ReadoutValue rv;
        rv.raw = std::string(v.substr(0, star));
        rv.value = trim(rv.raw);
        if (star != std::string_view::npos) rv.unit = trim(v.substr(star + 1));
        d.values.push_back(std::move(rv));
        i = close + 1;
    }
    return d;
}

std::uint8_t bcc_of(std::string_view s) noexcept {
    std::uint8_t x = 0;
    for (char c : s) x ^= static_cast<std::uint8_t>(c);
    return x;
}

}  // namespace

ReadoutError::ReadoutError(std::string n, std::size_t l, std::size_t c, const std::string& d)
    : std::runtime_error(fmt::format("line {}, column {}: {}: {}", l, c, n, d)), name(std::move(n)), line(l), column(c), detail(d) {}

std::uint8_t bcc(std::span<const std::uint8_t> bytes) noexcept {
    std::uint8_t x = 0;
    for (auto b : bytes) x ^= b;
    return x;
}

const DataLine* Readout::find(std::string_view short_code) const noexcept {
    for (const auto& l : lines)
        if (l.code_text == short_code) return &l;
    return nullptr;
}

unsigned Readout::baud() const noexcept {
    static constexpr unsigned kBaud[] = {300, 600, 1200, 2400, 4800, 9600, 19200};
    return baud_char >= '0' && baud_char <= '6' ? kBaud[baud_char - '0'] : 0;
}

Readout parse_readout(std::span<const std::uint8_t> bytes) {
    return parse_readout(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Readout parse_readout(std::string_view t) {
    Readout r;
    const std::size_t n = t.size();
    if (n == 0) throw ReadoutError("empty", 1, 1, "no bytes");
    // ---- identification line: "/" XXX Z ident CR LF  (IEC 62056-21 identification message)
    if (t[0] != '/') throw ReadoutError("missing_identification", 1, 1, "a readout starts with '/'");
    std::size_t eol = 1;
    while (eol < n && printable(t[eol])) ++eol;
    if (eol == n) throw ReadoutError("bad_identification", 1, n + 1, "identification line has no CR LF");
    if (t[eol] == '\n') throw ReadoutError("bad_line_end", 1, eol + 1, "LF without CR (the wire form ends lines with CR LF)");
    if (t[eol] != '\r') not_text(t[eol], 1, eol + 1, "in the identification line");
    if (eol + 1 == n || t[eol + 1] != '\n') throw ReadoutError("bad_line_end", 1, eol + 1, "CR without LF");
    const std::string_view id = t.substr(1, eol - 1);
    check_identification(id);
    r.manufacturer = std::string(id.substr(0, 3));
    r.baud_char = id[3];
    r.identification = std::string(id.substr(4));
    std::size_t pos = eol + 2;
    if (pos >= n || t[pos] != STX) throw ReadoutError("missing_stx", 2, 1, "STX (0x02) expected after the identification line");
    const std::size_t stx = pos;
    ++pos;
    // ---- data lines until "!" CR LF
    std::size_t line = 2;
    std::size_t line_start = stx;  // the STX is column 1 of line 2
    bool ended = false;
    while (pos < n) {
        const std::size_t col0 = pos - line_start + 1;
        if (t[pos] == '!') {
            if (t.substr(pos, 3) != "!\r\n") throw ReadoutError("missing_end", line, col0, "'!' must be followed by CR LF");
            pos += 3;
            ended = true;
            ++line;
            break;
        }
        if (t[pos] == ETX) throw ReadoutError("missing_end", line, col0, "ETX before the '!' end line");
        std::size_t j = pos;
        while (j < n && printable(t[j])) ++j;
        if (j == n) throw ReadoutError("bad_data_line", line, col0, "data line without CR LF");
        if (t[j] == '\n') throw ReadoutError("bad_line_end", line, j - line_start + 1, "LF without CR (the wire form ends lines with CR LF)");
        if (t[j] != '\r') not_text(t[j], line, j - line_start + 1, "in a data line");
        if (j + 1 == n || t[j + 1] != '\n') throw ReadoutError("bad_line_end", line, j - line_start + 1, "CR without LF");
        r.lines.push_back(parse_data_line(t.substr(pos, j - pos), line, col0));
        pos = j + 2;
        line_start = pos;
        ++line;
    }
    if (!ended) throw ReadoutError("missing_end", line, pos - line_start + 1, "no '!' end line");
    if (pos >= n || t[pos] != ETX) throw ReadoutError("missing_etx", line, 1, "ETX (0x03) expected after the end line");
    const std::size_t etx = pos;
    if (etx + 1 >= n) throw ReadoutError("missing_bcc", line, 2, "BCC expected after ETX");
    const auto computed = bcc_of(t.substr(stx + 1, etx - stx));
    r.bcc = static_cast<std::uint8_t>(t[etx + 1]);
    if (computed != r.bcc)
        throw ReadoutError("bad_bcc", line, 2, fmt::format("computed 0x{:02X}, readout says 0x{:02X}", computed, r.bcc));
    if (etx + 2 < n) throw ReadoutError("trailing_data", line, 3, fmt::format("{} byte(s) after the BCC", n - etx - 2));
    return r;
}

std::string normalize_readout(std::span<const std::uint8_t> bytes) {
    return normalize_readout(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string normalize_readout(std::string_view t) {
    const std::size_t n = t.size();
    std::size_t pos = 0, line = 1, line_start = 0;
    if (t.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 byte-order mark of a text editor
    {
        std::size_t k = pos;
        while (k < n && (t[k] == ' ' || t[k] == '\r' || t[k] == '\n')) ++k;
        if (k == n) throw ReadoutError("empty", 1, 1, n ? "nothing but white space" : "no bytes");
    }
    auto col = [&](std::size_t p) { return p - line_start + 1; };
    // One line from `pos`: every byte printable up to CR LF, LF, the end of the input, or a
    // control byte (returned in `stop` for the caller to judge). `next` = after the line end.
    enum class End { crlf, lf, eof, control };
    struct Line {
        std::string_view text;
        End end;
        std::size_t stop, next;
    };
    auto read_line = [&]() -> Line {
        std::size_t j = pos;
        const std::size_t limit = std::min(n, kMaxReadoutBytes);
        while (j < limit && printable(t[j])) ++j;
        if (j == kMaxReadoutBytes && j < n)
            throw ReadoutError("too_long", line, col(j), fmt::format("a readout is limited to {} bytes", kMaxReadoutBytes));
        const std::string_view text = t.substr(pos, j - pos);
        if (j == n) return {text, End::eof, j, j};
        if (t[j] == '\n') return {text, End::lf, j, j + 1};
        if (t[j] == '\r') {
            if (j + 1 < n && t[j + 1] == '\n') return {text, End::crlf, j, j + 2};
            throw ReadoutError("bad_line_end", line, col(j), "CR without LF");
        }
        return {text, End::control, j, j};
    };
    auto next_line = [&](std::size_t next) {
        pos = next;
        line_start = pos;
        ++line;
    };
    std::string out;
    out.reserve(n + kNeutralIdentification.size() + 8);
    // ---- optional identification line
    if (pos < n && t[pos] == '/') {
        const Line l = read_line();
        if (l.end == End::eof) throw ReadoutError("bad_identification", line, col(l.stop), "identification line has no line end");
        if (l.end == End::control) {
            if (t[l.stop] == STX) throw ReadoutError("bad_identification", line, col(l.stop), "identification line has no line end before STX");
            not_text(t[l.stop], line, col(l.stop), "in the identification line");
        }
        const std::size_t bom = pos;  // 0, or 3 after a byte-order mark: columns count from the file start
        try {
            check_identification(l.text.substr(1));
        } catch (const ReadoutError& e) {
            throw ReadoutError(e.name, 1, e.column + bom, e.detail);
        }
        out.append(l.text);
        out += "\r\n";
        next_line(l.next);
    } else {
        out += kNeutralIdentification;
    }
    // ---- optional STX: a framed block
    const bool framed = pos < n && t[pos] == STX;
    const std::size_t stx = pos;
    if (framed) ++pos;
    out += STX;
    const std::size_t body = out.size();
    bool ended = false, lf_only = false;
    std::size_t data_lines = 0;
    std::size_t end_line = line, end_col = col(pos);  // where the data block ended: '!' or the input's end
    auto rest_is_blank = [&](std::size_t from) {
        for (std::size_t k = from; k < n; ++k)
            if (t[k] != ' ' && t[k] != '\r' && t[k] != '\n') return false;
        return true;
    };
    while (pos < n) {
        const char c = t[pos];
        end_line = line, end_col = col(pos);
        if (c == '!') {
            if (pos + 1 == n && !framed) {
                pos = n;
            } else if (t.substr(pos, 3) == "!\r\n") {
                next_line(pos + 3);
            } else if (t.substr(pos, 2) == "!\n") {
                lf_only = true;
                next_line(pos + 2);
            } else {
                throw ReadoutError("missing_end", line, col(pos), "'!' must be followed by a line end");
            }
            ended = true;
            break;
        }
        if (c == ETX) {
            if (framed) throw ReadoutError("missing_end", line, col(pos), "ETX before the '!' end line");
            throw ReadoutError("missing_stx", line, col(pos), "ETX (0x03) without STX");
        }
        if (c == '\r' || c == '\n') {
            if (!framed && rest_is_blank(pos)) {
                pos = n;
                break;
            }
            throw ReadoutError("bad_data_line", line, col(pos), "empty line inside the data block");
        }
        const Line l = read_line();
        if (l.end == End::control) {
            if (t[l.stop] == STX || t[l.stop] == ETX)
                throw ReadoutError("bad_data_line", line, col(l.stop),
                                   fmt::format("{} inside a data line (framing belongs on lines of its own)", byte_name(t[l.stop])));
            not_text(t[l.stop], line, col(l.stop), "in a data line");
        }
        if (l.end == End::eof && framed) throw ReadoutError("bad_data_line", line, col(pos), "data line without a line end");
        parse_data_line(l.text, line, col(pos));  // validates; the line is kept byte for byte
        out.append(l.text);
        out += "\r\n";
        ++data_lines;
        if (l.end == End::lf) lf_only = true;
        if (l.end == End::eof) {
            pos = n;
            break;
        }
        next_line(l.next);
        end_line = line, end_col = col(pos);
    }
    if (data_lines == 0) throw ReadoutError("no_data_lines", end_line, end_col, "a readout needs at least one data line");
    out += "!\r\n";
    out += ETX;
    const std::uint8_t canonical_bcc = bcc_of(std::string_view(out).substr(body));
    out += static_cast<char>(canonical_bcc);
    if (framed) {
        if (!ended) throw ReadoutError("missing_end", line, col(pos), "no '!' end line");
        if (pos >= n || t[pos] != ETX) throw ReadoutError("missing_etx", line, col(pos), "ETX (0x03) expected after the end line");
        const std::size_t etx = pos;
        if (etx + 1 >= n) throw ReadoutError("missing_bcc", line, col(etx) + 1, "BCC expected after ETX");
        const auto given = static_cast<std::uint8_t>(t[etx + 1]);
        const std::uint8_t computed = bcc_of(t.substr(stx + 1, etx - stx));
        // A capture whose CR LF became LF (a text tool) still proves its integrity when its BCC
        // is that of the CR LF form.
        if (given != computed && !(lf_only && given == canonical_bcc))
            throw ReadoutError("bad_bcc", line, col(etx) + 1,
                               fmt::format("computed 0x{:02X}, readout says 0x{:02X}{}", computed, given,
                                           lf_only ? fmt::format(" (0x{:02X} with CR LF line ends)", canonical_bcc) : ""));
        pos = etx + 2;
        if (t.substr(pos) != "" && t.substr(pos) != "\n" && t.substr(pos) != "\r\n")
            throw ReadoutError("trailing_data", line, col(pos), fmt::format("{} byte(s) after the BCC", n - pos));
    } else if (pos < n && !rest_is_blank(pos)) {
        if (t[pos] == ETX) throw ReadoutError("missing_stx", line, col(pos), "ETX (0x03) without STX");
        throw ReadoutError("trailing_data", line, col(pos), "data after the '!' end line");
    }
    return out;
}

std::string render_readout(const Readout& r) {
    std::string s = "/" + r.manufacturer + r.baud_char + r.identification + "\r\n";
    s += STX;
    const std::size_t body = s.size();
    for (const auto& l : r.lines) {
        s += l.code_text;
        for (const auto& v : l.values) s += "(" + (v.raw.empty() ? v.value : v.raw) + (v.unit.empty() ? "" : "*" + v.unit) + ")";
        s += "\r\n";
    }
    s += "!\r\n";
    s += ETX;
    s += static_cast<char>(bcc(std::span(reinterpret_cast<const std::uint8_t*>(s.data()) + body, s.size() - body)));
    return s;
}

}  // namespace metercert::obis
