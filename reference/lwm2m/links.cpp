// CoRE Link Format and the Register query (RFC 6690 §2; LwM2M TS 1.1 §5.3; links.hpp).
#include "metercert/lwm2m/links.hpp"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace metercert::lwm2m {
namespace {

bool fail(Error& err, ErrorCode c, std::size_t offset, std::string detail) {
    err = Error{c, offset, std::move(detail)};
    return false;
}

bool alpha_digit(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool parmname_char(char c) noexcept { return alpha_digit(c) || (c != 0 && std::strchr("!#$&+-.^_`|~", c)); }
bool ptoken_char(char c) noexcept { return alpha_digit(c) || (c != 0 && std::strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c)); }
bool printable(char c) noexcept { return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F; }

}  // namespace

const LinkParam* Link::param(std::string_view name) const noexcept {
    for (const auto& p : params)
        if (p.name == name) return &p;
    return nullptr;
}

bool parse_links(std::string_view s, std::vector<Link>& out, Error& err) noexcept {
    out.clear();
    std::size_t i = 0;
    if (s.empty()) return true;
    while (true) {
        if (i >= s.size() || s[i] != '<') return fail(err, ErrorCode::syntax, i, "a link starts with '<' (RFC 6690 §2)");
        Link l;
        l.offset = i++;
        const auto close = s.find('>', i);
        if (close == std::string_view::npos) return fail(err, ErrorCode::syntax, l.offset, "'<' without '>'");
        for (std::size_t k = i; k < close; ++k)
            if (!printable(s[k]) || s[k] == '<') return fail(err, ErrorCode::syntax, k, "a URI-Reference holds no white space, control or '<'");
        l.target = std::string(s.substr(i, close - i));
        i = close + 1;
        while (i < s.size() && s[i] == ';') {
            ++i;
            LinkParam p;
            const auto start = i;
            while (i < s.size() && parmname_char(s[i])) ++i;
            if (i == start) return fail(err, ErrorCode::syntax, i, "a link parameter needs a name");
            p.name = std::string(s.substr(start, i - start));
            if (i < s.size() && s[i] == '=') {
                ++i;
                if (i < s.size() && s[i] == '"') {
                    const auto q = i++;
                    std::string v;
                    while (true) {
                        if (i >= s.size()) return fail(err, ErrorCode::syntax, q, "quoted-string without its closing '\"'");
                        if (s[i] == '"') break;
                        if (s[i] == '\\') {
                            if (++i >= s.size()) return fail(err, ErrorCode::syntax, q, "quoted-string ends in '\\'");
                        } else if (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7F) {
                            return fail(err, ErrorCode::syntax, i, "control character in a quoted-string");
                        }
                        v += s[i++];
                    }
                    ++i;
                    p.value = std::move(v);
                    p.quoted = true;
                } else {
                    const auto vs = i;
                    while (i < s.size() && ptoken_char(s[i])) ++i;
                    if (i == vs) return fail(err, ErrorCode::syntax, i, fmt::format("parameter '{}' has '=' and no value", p.name));
                    p.value = std::string(s.substr(vs, i - vs));
                }
            }
            l.params.push_back(std::move(p));
        }
        out.push_back(std::move(l));
        if (i == s.size()) return true;
        if (s[i] != ',') return fail(err, ErrorCode::syntax, i, fmt::format("'{}' after a link (',' or ';' expected)", s[i]));
        ++i;
    }
}

std::string format_links(std::span<const Link> links) {
    std::string out;
    for (const auto& l : links) {
        if (!out.empty()) out += ',';
        out += '<' + l.target + '>';
        for (const auto& p : l.params) {
            out += ';' + p.name;
            if (!p.value) continue;
            bool token = !p.value->empty();
            for (char c : *p.value) token = token && ptoken_char(c);
            if (p.quoted || !token) {
                out += "=\"";
                for (char c : *p.value) {
                    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) out += '\\';  // quoted-pair
                    out += c;
                }
                out += '"';
            } else out += '=' + *p.value;
        }
    }
    return out;
}

std::string register_payload(std::span<const Path> paths, std::optional<std::uint16_t> content_format) {
    std::vector<Link> links;
    if (content_format) links.push_back(Link{"/", {{"rt", "oma.lwm2m", true}, {"ct", std::to_string(*content_format), false}}, 0});
    for (const auto& p : paths)
        if (p.depth >= 1 && p.depth <= 2 && p.object_id() != 0) links.push_back(Link{to_string(p), {}, 0});
    return format_links(links);
}

bool parse_register_payload(std::string_view text, std::vector<Path>& out, Error& err) noexcept {
    out.clear();
    std::vector<Link> links;
    if (!parse_links(text, links, err)) return false;
    for (const auto& l : links) {
        // an alternate path root (TS 1.1 §5.3.1: rt="oma.lwm2m" on "</lwm2m>") is not an object
        const auto p = parse_path(l.target);
        if (!p || p->depth == 0 || p->depth > 2 || !l.target.starts_with('/')) continue;
        out.push_back(*p);
    }
    return true;
}

std::vector<std::string> build_register_query(const RegisterQuery& q) {
    std::vector<std::string> o;
    if (!q.endpoint.empty()) o.push_back("ep=" + q.endpoint);
    if (q.lifetime) o.push_back(fmt::format("lt={}", *q.lifetime));
    if (q.lwm2m) o.push_back("lwm2m=" + *q.lwm2m);
    if (q.binding) o.push_back("b=" + *q.binding);
    if (q.sms) o.push_back("sms=" + *q.sms);
    if (q.queue_mode) o.push_back("Q");
    for (const auto& [k, v] : q.other) o.push_back(v.empty() ? k : k + "=" + v);
    return o;
}

bool parse_register_query(std::span<const std::string> options, bool update, RegisterQuery& out, Error& err) noexcept {
    out = RegisterQuery{};
    bool seen_ep = false, seen_q = false;
    for (std::size_t k = 0; k < options.size(); ++k) {
        const std::string_view o = options[k];
        const auto eq = o.find('=');
        const auto key = o.substr(0, eq);
        const bool has_value = eq != std::string_view::npos;
        const auto value = has_value ? o.substr(eq + 1) : std::string_view{};
        auto dup = [&] { return fail(err, ErrorCode::duplicate, k, fmt::format("'{}' twice", key)); };
        auto need_value = [&] {
            if (!has_value) return fail(err, ErrorCode::bad_value, k, fmt::format("'{}' needs a value", key));
            return true;
        };
        if (key == "ep") {
            if (update) return fail(err, ErrorCode::bad_value, k, "ep in an Update (TS 1.1 §5.3.2)");
            if (seen_ep) return dup();
            if (!need_value()) return false;
            if (value.empty()) return fail(err, ErrorCode::missing, k, "empty Endpoint Client Name");
            out.endpoint = std::string(value);
            seen_ep = true;
        } else if (key == "lt") {
            if (out.lifetime) return dup();
            if (!need_value()) return false;
            std::uint32_t v = 0;
            const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
            if (value.empty() || r.ec != std::errc{} || r.ptr != value.data() + value.size())
                return fail(err, ErrorCode::bad_value, k, fmt::format("lt '{:.20}' is not a decimal number of seconds (0…4294967295)", value));
            out.lifetime = v;
        } else if (key == "lwm2m") {
            if (update) return fail(err, ErrorCode::bad_value, k, "lwm2m in an Update (TS 1.1 §5.3.2)");
            if (out.lwm2m) return dup();
            if (!need_value()) return false;
            if (value.size() != 3 || value[1] != '.' || value[0] < '0' || value[0] > '9' || value[2] < '0' || value[2] > '9')
                return fail(err, ErrorCode::bad_value, k, fmt::format("lwm2m '{:.20}' is not a version \"major.minor\"", value));
            out.lwm2m = std::string(value);
        } else if (key == "b") {
            if (out.binding) return dup();
            if (!need_value()) return false;
            if (value.empty()) return fail(err, ErrorCode::bad_value, k, "empty binding");
            for (std::size_t c = 0; c < value.size(); ++c)
                if (!std::strchr("UQSNT", value[c]) || value[c] == 0 || value.substr(0, c).find(value[c]) != std::string_view::npos)
                    return fail(err, ErrorCode::bad_value, k, fmt::format("binding '{:.20}': '{}' (each of U, Q, S, N, T once)", value, value[c]));
            out.binding = std::string(value);
        } else if (key == "sms") {
            if (out.sms) return dup();
            if (!need_value()) return false;
            out.sms = std::string(value);
        } else if (key == "Q") {
            if (seen_q) return dup();
            if (has_value) return fail(err, ErrorCode::bad_value, k, "Q takes no value (TS 1.1 §5.3.1)");
            out.queue_mode = seen_q = true;
        } else {
            out.other.emplace_back(std::string(key), std::string(value));
        }
    }
    if (!update && !seen_ep) return fail(err, ErrorCode::missing, options.size(), "Register without ep (Endpoint Client Name)");
    return true;
}

std::vector<std::string> split_query(std::string_view q) {
    std::vector<std::string> out;
    if (q.starts_with('?')) q.remove_prefix(1);
    while (!q.empty()) {
        const auto amp = q.find('&');
        out.emplace_back(q.substr(0, amp));
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return out;
}

}  // namespace metercert::lwm2m
