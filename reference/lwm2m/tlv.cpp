// LwM2M TLV (TS 1.1 Core §7.4.3; tlv.hpp).
#include "metercert/lwm2m/tlv.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace metercert::lwm2m {
namespace {

bool fail(Error& err, ErrorCode c, std::size_t offset, std::string detail) {
    err = Error{c, offset, std::move(detail)};
    return false;
}

bool may_hold(const TlvKind* parent, TlvKind child) noexcept {
    if (!parent) return true;  // the top level holds any kind (the request path says which fits)
    switch (*parent) {
        case TlvKind::object_instance: return child == TlvKind::resource_value || child == TlvKind::multiple_resource;
        case TlvKind::multiple_resource: return child == TlvKind::resource_instance;
        default: return false;
    }
}

// Items of in[begin, end) (absolute offsets `base` + …) into out
bool decode_items(std::span<const std::uint8_t> in, std::size_t begin, std::size_t end, const TlvKind* parent,
                  std::vector<Tlv>& out, Error& err) {
    std::size_t at = begin;
    while (at < end) {
        const std::size_t start = at;
        const std::uint8_t type = in[at++];
        Tlv t;
        t.kind = static_cast<TlvKind>(type >> 6);
        t.offset = start;
        const std::size_t id_len = (type & 0x20) ? 2 : 1;
        const unsigned len_type = (type >> 3) & 0x03;
        if (end - at < id_len + len_type)
            return fail(err, ErrorCode::truncated, at,
                        fmt::format("{} header needs {} more bytes, {} left", kind_name(t.kind), id_len + len_type, end - at));
        t.id = id_len == 2 ? static_cast<std::uint16_t>(in[at] << 8 | in[at + 1]) : in[at];
        at += id_len;
        std::size_t len = 0;
        if (len_type == 0) len = type & 0x07;
        for (unsigned k = 0; k < len_type; ++k) len = len << 8 | in[at++];
        if (end - at < len)
            return fail(err, ErrorCode::truncated, at,
                        fmt::format("{} {} declares {} value bytes, {} left", kind_name(t.kind), t.id, len, end - at));
        if (!may_hold(parent, t.kind))
            return fail(err, ErrorCode::bad_nesting, start,
                        fmt::format("{} {} inside a {}", kind_name(t.kind), t.id, kind_name(*parent)));
        for (const auto& s : out)
            if (s.id == t.id && (s.kind == t.kind || (s.kind != TlvKind::object_instance && s.kind != TlvKind::resource_instance &&
                                                      t.kind != TlvKind::object_instance && t.kind != TlvKind::resource_instance)))
                return fail(err, ErrorCode::duplicate, start, fmt::format("{} {} appears twice", kind_name(t.kind), t.id));
        if (t.kind == TlvKind::object_instance || t.kind == TlvKind::multiple_resource) {
            if (!decode_items(in, at, at + len, &t.kind, t.children, err)) return false;
        } else {
            t.value.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + len));
        }
        at += len;
        out.push_back(std::move(t));
    }
    return true;
}

void put_be(Bytes& out, std::uint64_t v, unsigned n) {
    for (unsigned k = n; k-- > 0;) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

void encode_item(const Tlv& t, Bytes& out) {
    Bytes body;
    if (t.kind == TlvKind::object_instance || t.kind == TlvKind::multiple_resource) {
        if (!t.value.empty()) throw std::invalid_argument(fmt::format("TLV {} {} holds items, not a value", kind_name(t.kind), t.id));
        for (const auto& c : t.children) encode_item(c, body);
    } else {
        if (!t.children.empty()) throw std::invalid_argument(fmt::format("TLV {} {} holds a value, not items", kind_name(t.kind), t.id));
        body = t.value;
    }
    const std::size_t len = body.size();
    if (len > 0xFFFFFF) throw std::invalid_argument(fmt::format("TLV value of {} bytes (at most 16777215)", len));
    std::uint8_t type = static_cast<std::uint8_t>(static_cast<unsigned>(t.kind) << 6);
    if (t.id > 0xFF) type |= 0x20;
    unsigned len_bytes = 0;
    if (len <= 7) type |= static_cast<std::uint8_t>(len);
    else if (len <= 0xFF) len_bytes = 1;
    else if (len <= 0xFFFF) len_bytes = 2;
    else len_bytes = 3;
    type |= static_cast<std::uint8_t>(len_bytes << 3);
    out.push_back(type);
    put_be(out, t.id, t.id > 0xFF ? 2 : 1);
    put_be(out, len, len_bytes);
    out.insert(out.end(), body.begin(), body.end());
}

std::uint64_t get_be(std::span<const std::uint8_t> b) noexcept {
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    return v;
}

}  // namespace

std::string_view kind_name(TlvKind k) noexcept {
    switch (k) {
        case TlvKind::object_instance: return "Object Instance";
        case TlvKind::resource_instance: return "Resource Instance";
        case TlvKind::multiple_resource: return "Multiple Resource";
        case TlvKind::resource_value: return "Resource with Value";
    }
    return "?";
}

bool decode_tlv(std::span<const std::uint8_t> in, std::vector<Tlv>& out, Error& err) noexcept {
    out.clear();
    return decode_items(in, 0, in.size(), nullptr, out, err);
}

Bytes encode_tlv(std::span<const Tlv> items) {
    Bytes out;
    for (const auto& t : items) encode_item(t, out);
    return out;
}

Bytes encode_tlv_value(const Value& v, Type t) {
    Bytes out;
    const auto want = [&](auto* p) {
        if (!p) throw std::invalid_argument(fmt::format("TLV value: the value does not hold a {}", devices::cmi6110::type_name(t)));
        return *p;
    };
    switch (t) {
        case Type::integer:
        case Type::time: {
            const std::int64_t i = want(std::get_if<std::int64_t>(&v));
            unsigned n = 8;
            if (i >= INT8_MIN && i <= INT8_MAX) n = 1;
            else if (i >= INT16_MIN && i <= INT16_MAX) n = 2;
            else if (i >= INT32_MIN && i <= INT32_MAX) n = 4;
            put_be(out, static_cast<std::uint64_t>(i), n);
            return out;
        }
        case Type::unsigned_integer: {
            const std::int64_t i = want(std::get_if<std::int64_t>(&v));
            if (i < 0) throw std::invalid_argument("TLV value: a negative Unsigned Integer");
            const auto u = static_cast<std::uint64_t>(i);
            put_be(out, u, u <= 0xFF ? 1 : u <= 0xFFFF ? 2 : u <= 0xFFFFFFFF ? 4 : 8);
            return out;
        }
        case Type::float_: {
            const double d = want(std::get_if<double>(&v));
            const auto f = static_cast<float>(d);
            if (static_cast<double>(f) == d || d != d) put_be(out, std::bit_cast<std::uint32_t>(f), 4);
            else put_be(out, std::bit_cast<std::uint64_t>(d), 8);
            return out;
        }
        case Type::boolean: out.push_back(want(std::get_if<bool>(&v)) ? 1 : 0); return out;
        case Type::string: {
            const auto& s = want(std::get_if<std::string>(&v));
            return Bytes(s.begin(), s.end());
        }
        case Type::opaque: return want(std::get_if<Bytes>(&v));
        case Type::objlnk: {
            const auto l = want(std::get_if<ObjectLink>(&v));
            put_be(out, l.object, 2);
            put_be(out, l.instance, 2);
            return out;
        }
        case Type::none: break;
    }
    throw std::invalid_argument("TLV value: an executable resource has no value");
}

bool decode_tlv_value(std::span<const std::uint8_t> b, Type t, std::size_t offset, Value& out, Error& err) noexcept {
    const auto n = b.size();
    switch (t) {
        case Type::integer:
        case Type::time: {
            if (n != 1 && n != 2 && n != 4 && n != 8)
                return fail(err, ErrorCode::bad_length, offset, fmt::format("{} of {} bytes (1, 2, 4 or 8)", devices::cmi6110::type_name(t), n));
            std::uint64_t u = get_be(b);
            if (n < 8 && (b[0] & 0x80)) u |= ~std::uint64_t{0} << (8 * n);  // sign extension
            out = static_cast<std::int64_t>(u);
            return true;
        }
        case Type::unsigned_integer: {
            if (n != 1 && n != 2 && n != 4 && n != 8)
                return fail(err, ErrorCode::bad_length, offset, fmt::format("Unsigned Integer of {} bytes (1, 2, 4 or 8)", n));
            const std::uint64_t u = get_be(b);
            if (u > static_cast<std::uint64_t>(INT64_MAX))
                return fail(err, ErrorCode::out_of_range, offset, fmt::format("Unsigned Integer {} above {}", u, INT64_MAX));
            out = static_cast<std::int64_t>(u);
            return true;
        }
        case Type::float_:
            if (n == 4) out = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(get_be(b))));
            else if (n == 8) out = std::bit_cast<double>(get_be(b));
            else return fail(err, ErrorCode::bad_length, offset, fmt::format("Float of {} bytes (4 or 8)", n));
            return true;
        case Type::boolean:
            if (n != 1) return fail(err, ErrorCode::bad_length, offset, fmt::format("Boolean of {} bytes (1)", n));
            if (b[0] > 1) return fail(err, ErrorCode::bad_value, offset, fmt::format("Boolean {} (0 or 1)", b[0]));
            out = b[0] == 1;
            return true;
        case Type::string: {
            std::string s(b.begin(), b.end());
            if (const auto bad = invalid_utf8(s))
                return fail(err, ErrorCode::bad_utf8, offset + *bad, "String is not UTF-8");
            out = std::move(s);
            return true;
        }
        case Type::opaque: out = Bytes(b.begin(), b.end()); return true;
        case Type::objlnk:
            if (n != 4) return fail(err, ErrorCode::bad_length, offset, fmt::format("Objlnk of {} bytes (4)", n));
            out = ObjectLink{static_cast<std::uint16_t>(b[0] << 8 | b[1]), static_cast<std::uint16_t>(b[2] << 8 | b[3])};
            return true;
        case Type::none:
            if (n != 0) return fail(err, ErrorCode::wrong_type, offset, "a value for an executable resource");
            out = Bytes{};
            return true;
    }
    return fail(err, ErrorCode::wrong_type, offset, "unknown type");
}

}  // namespace metercert::lwm2m
