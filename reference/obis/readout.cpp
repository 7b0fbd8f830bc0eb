#include "metercert/obis/readout.hpp"

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
}  // namespace

ReadoutError::ReadoutError(std::string n, std::size_t l, std::size_t c, const std::string& detail)
    : std::runtime_error(fmt::format("{} at line {}, column {}: {}", n, l, c, detail)), name(std::move(n)), line(l), column(c) {}

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
    // ---- identification line: "/" XXX Z ident CR LF  (IEC 62056-21 §6.3.2)
    if (t.empty() || t[0] != '/') throw ReadoutError("missing_identification", 1, 1, "a readout starts with '/'");
    const auto eol = t.find("\r\n");
    if (eol == std::string_view::npos) throw ReadoutError("bad_identification", 1, t.size() + 1, "identification line has no CR LF");
    const std::string_view id = t.substr(1, eol - 1);
    if (id.size() < 5) throw ReadoutError("bad_identification", 1, id.size() + 2, "identification needs 3 manufacturer letters, a baud character and an identification");
    for (std::size_t i = 0; i < 3; ++i)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z')))
            throw ReadoutError("bad_identification", 1, i + 2, fmt::format("manufacturer character '{}' is not a letter", id[i]));
    r.manufacturer = std::string(id.substr(0, 3));
    r.baud_char = id[3];
    // The identification follows the baud character directly; it may itself start with '\'
    // and an enhanced-identification digit, which belong to it (no assumption of a "\W" here).
    r.identification = std::string(id.substr(4));
    std::size_t pos = eol + 2;
    if (pos >= t.size() || t[pos] != STX) throw ReadoutError("missing_stx", 2, 1, "STX (0x02) expected after the identification line");
    const std::size_t stx = pos;
    ++pos;
    // ---- data lines until "!" CR LF
    std::size_t line = 2;
    std::size_t line_start = pos;  // column base: the STX shares line 2 with the first data line
    bool ended = false;
    while (pos < t.size()) {
        const std::size_t col0 = pos - line_start + 1 + (line == 2 ? 1 : 0);
        if (t[pos] == '!') {
            if (t.substr(pos, 3) != "!\r\n") throw ReadoutError("missing_end", line, col0, "'!' must be followed by CR LF");
            pos += 3;
            ended = true;
            break;
        }
        if (t[pos] == ETX) throw ReadoutError("missing_end", line, col0, "ETX before the '!' end line");
        const auto nl = t.find("\r\n", pos);
        if (nl == std::string_view::npos) throw ReadoutError("bad_data_line", line, col0, "data line without CR LF");
        const std::string_view dl = t.substr(pos, nl - pos);
        const auto paren = dl.find('(');
        if (paren == std::string_view::npos || paren == 0)
            throw ReadoutError("bad_data_line", line, col0, fmt::format("'{}' is not code(value)", std::string(dl)));
        DataLine d;
        d.code_text = std::string(dl.substr(0, paren));
        d.line = line;
        auto code = ObisCode::parse(d.code_text);
        if (!code) throw ReadoutError("bad_obis_code", line, col0, fmt::format("'{}' is not an OBIS code", d.code_text));
        d.code = *code;
        std::size_t i = paren;
        while (i < dl.size()) {
            if (dl[i] != '(')
                throw ReadoutError("bad_data_line", line, col0 + i, fmt::format("'(' expected, got '{}'", dl[i]));
            const auto close = dl.find(')', i);
            if (close == std::string_view::npos) throw ReadoutError("unterminated_value", line, col0 + i, "value without ')'");
            const std::string_view v = dl.substr(i + 1, close - i - 1);
            const auto star = v.find('*');
            ReadoutValue rv;
            rv.raw = std::string(v.substr(0, star));
            rv.value = trim(rv.raw);
            if (star != std::string_view::npos) rv.unit = trim(v.substr(star + 1));
            d.values.push_back(std::move(rv));
            i = close + 1;
        }
        r.lines.push_back(std::move(d));
        pos = nl + 2;
        line_start = pos;
        ++line;
    }
    if (!ended) throw ReadoutError("missing_end", line, 1, "no '!' end line");
    if (pos >= t.size() || t[pos] != ETX) throw ReadoutError("missing_etx", line + 1, 1, "ETX (0x03) expected after the end line");
    const std::size_t etx = pos;
    if (etx + 1 >= t.size()) throw ReadoutError("missing_bcc", line + 1, 2, "BCC expected after ETX");
    const auto computed =
        bcc(std::span(reinterpret_cast<const std::uint8_t*>(t.data()) + stx + 1, etx - stx));
    r.bcc = static_cast<std::uint8_t>(t[etx + 1]);
    if (computed != r.bcc)
        throw ReadoutError("bad_bcc", line + 1, 2, fmt::format("computed 0x{:02X}, readout says 0x{:02X}", computed, r.bcc));
    return r;
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
