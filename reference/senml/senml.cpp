#include "metercert/senml/senml.hpp"

#include <cbor.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace metercert::senml {

std::string_view error_name(PackErrorCode c) noexcept {
    switch (c) {
        case PackErrorCode::empty_input: return "empty_input";
        case PackErrorCode::truncated: return "truncated";
        case PackErrorCode::malformed: return "malformed";
        case PackErrorCode::not_a_pack: return "not_a_pack";
        case PackErrorCode::record_not_a_map: return "record_not_a_map";
        case PackErrorCode::indefinite_length: return "indefinite_length";
        case PackErrorCode::not_shortest: return "not_shortest";
        case PackErrorCode::bad_label: return "bad_label";
        case PackErrorCode::duplicate_label: return "duplicate_label";
        case PackErrorCode::wrong_type: return "wrong_type";
        case PackErrorCode::must_understand: return "must_understand";
        case PackErrorCode::out_of_range: return "out_of_range";
        case PackErrorCode::trailing_data: return "trailing_data";
        case PackErrorCode::unsupported: return "unsupported";
    }
    return "unknown";
}

std::string PackError::message() const {
    return detail.empty() ? fmt::format("{} at byte {}", error_name(code), offset)
                          : fmt::format("{} at byte {}: {}", error_name(code), offset, detail);
}

namespace {

// ------------------------------------------------------------------------- reading items

// One CBOR data item header as libcbor's streaming decoder reports it.
struct Item {
    enum Kind { uint, negint, bytes, text, array, map, tag, floating, boolean, null, undefined, indef_start, brk } kind = uint;
    std::uint64_t n = 0;          // uint / negint argument (negint value = −1 − n), length, count, tag
    unsigned arg_width = 0;       // bytes of the argument after the initial byte (0 = immediate)
    const std::uint8_t* data = nullptr;  // bytes / text content
    double f = 0;
    bool b = false;
    std::size_t offset = 0;
    std::size_t size = 0;         // bytes consumed (header + content)
};

void on_uint(void* c, std::uint64_t v, Item::Kind k) {
    auto* it = static_cast<Item*>(c);
    it->kind = k;
    it->n = v;
}

const cbor_callbacks& callbacks() {
    static const cbor_callbacks cb = [] {
        cbor_callbacks c = cbor_empty_callbacks;
        c.uint8 = [](void* x, std::uint8_t v) { on_uint(x, v, Item::uint); };
        c.uint16 = [](void* x, std::uint16_t v) { on_uint(x, v, Item::uint); };
        c.uint32 = [](void* x, std::uint32_t v) { on_uint(x, v, Item::uint); };
        c.uint64 = [](void* x, std::uint64_t v) { on_uint(x, v, Item::uint); };
        c.negint8 = [](void* x, std::uint8_t v) { on_uint(x, v, Item::negint); };
        c.negint16 = [](void* x, std::uint16_t v) { on_uint(x, v, Item::negint); };
        c.negint32 = [](void* x, std::uint32_t v) { on_uint(x, v, Item::negint); };
        c.negint64 = [](void* x, std::uint64_t v) { on_uint(x, v, Item::negint); };
        c.byte_string = [](void* x, cbor_data d, std::size_t n) {
            auto* it = static_cast<Item*>(x);
            it->kind = Item::bytes, it->data = d, it->n = n;
        };
        c.string = [](void* x, cbor_data d, std::size_t n) {
            auto* it = static_cast<Item*>(x);
            it->kind = Item::text, it->data = d, it->n = n;
        };
        c.array_start = [](void* x, std::size_t n) { on_uint(x, n, Item::array); };
        c.map_start = [](void* x, std::size_t n) { on_uint(x, n, Item::map); };
        c.byte_string_start = c.string_start = c.indef_array_start = c.indef_map_start = [](void* x) {
            static_cast<Item*>(x)->kind = Item::indef_start;
        };
        c.indef_break = [](void* x) { static_cast<Item*>(x)->kind = Item::brk; };
        c.tag = [](void* x, std::uint64_t v) { on_uint(x, v, Item::tag); };
        c.float2 = c.float4 = [](void* x, float v) {
            auto* it = static_cast<Item*>(x);
            it->kind = Item::floating, it->f = v;
        };
        c.float8 = [](void* x, double v) {
            auto* it = static_cast<Item*>(x);
            it->kind = Item::floating, it->f = v;
        };
        c.boolean = [](void* x, bool v) {
            auto* it = static_cast<Item*>(x);
            it->kind = Item::boolean, it->b = v;
        };
        c.null = [](void* x) { static_cast<Item*>(x)->kind = Item::null; };
        c.undefined = [](void* x) { static_cast<Item*>(x)->kind = Item::undefined; };
        return c;
    }();
    return cb;
}

const char* kind_name(Item::Kind k) {
    switch (k) {
        case Item::uint: return "an unsigned integer";
        case Item::negint: return "a negative integer";
        case Item::bytes: return "a byte string";
        case Item::text: return "a text string";
        case Item::array: return "an array";
        case Item::map: return "a map";
        case Item::tag: return "a tag";
        case Item::floating: return "a floating-point number";
        case Item::boolean: return "a boolean";
        case Item::null: return "null";
        case Item::undefined: return "undefined";
        case Item::indef_start: return "an indefinite-length item";
        case Item::brk: return "a break";
    }
    return "an item";
}

class Reader {
public:
    Reader(std::span<const std::uint8_t> p, PackError& err) : p_(p), err_(err) {}

    bool fail(PackErrorCode c, std::size_t off, std::string detail) {
        err_.code = c;
        err_.offset = off;
        err_.detail = std::move(detail);
        return false;
    }

    [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
    [[nodiscard]] bool at_end() const noexcept { return pos_ >= p_.size(); }

    // The next item header (and a string's content), with the preferred-serialization checks.
    bool next(Item& it) {
        it = Item{};
        it.offset = pos_;
        if (pos_ >= p_.size()) return fail(PackErrorCode::truncated, pos_, "the payload ends where an item should start");
        const cbor_decoder_result r = cbor_stream_decode(p_.data() + pos_, p_.size() - pos_, &callbacks(), &it);
        if (r.status == CBOR_DECODER_NEDATA)
            return fail(PackErrorCode::truncated, p_.size(),
                        fmt::format("the item at byte {} needs {} more byte(s)", pos_, r.required > p_.size() - pos_ ? r.required - (p_.size() - pos_) : 1));
        if (r.status != CBOR_DECODER_FINISHED)
            return fail(PackErrorCode::malformed, pos_, fmt::format("0x{:02X} starts no CBOR item", p_[pos_]));
        it.size = r.read;
        const std::uint8_t ai = p_[pos_] & 0x1F;
        it.arg_width = ai < 24 ? 0 : ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 0;
        pos_ += r.read;
        if (it.kind == Item::indef_start)
            return fail(PackErrorCode::indefinite_length, it.offset,
                        fmt::format("0x{:02X}: indefinite length (RFC 8949 §4.2.1 asks for definite lengths)", p_[it.offset]));
        if (it.kind == Item::brk) return fail(PackErrorCode::malformed, it.offset, "a break (0xFF) outside an indefinite-length item");
        const bool has_arg = it.kind == Item::uint || it.kind == Item::negint || it.kind == Item::bytes || it.kind == Item::text ||
                             it.kind == Item::array || it.kind == Item::map || it.kind == Item::tag;
        if (has_arg) {
            const std::uint64_t v = it.n;
            const unsigned shortest = v < 24 ? 0 : v <= 0xFF ? 1 : v <= 0xFFFF ? 2 : v <= 0xFFFFFFFFull ? 4 : 8;
            if (it.arg_width != shortest)
                return fail(PackErrorCode::not_shortest, it.offset,
                            fmt::format("{} {} in {} byte(s) (shortest: {}; RFC 8949 §4.2.1)",
                                        it.kind == Item::uint || it.kind == Item::negint ? "integer argument" : "length/count", v,
                                        1 + it.arg_width, 1 + shortest));
        }
        if (it.kind == Item::tag) return fail(PackErrorCode::unsupported, it.offset, fmt::format("tag {}: SenML uses no tags", it.n));
        return true;
    }

    // Skips the rest of an item whose header is `it` (an unknown label's value).
    bool skip(const Item& it, int depth = 0) {
        if (depth > 16) return fail(PackErrorCode::unsupported, it.offset, "items nested deeper than 16 levels");
        std::uint64_t children = it.kind == Item::array ? it.n : it.kind == Item::map ? 2 * it.n : 0;
        for (std::uint64_t i = 0; i < children; ++i) {
            Item c;
            if (!next(c) || !skip(c, depth + 1)) return false;
        }
        return true;
    }

private:
    std::span<const std::uint8_t> p_;
    PackError& err_;
    std::size_t pos_ = 0;
};

bool read_int(Reader& r, const Item& it, std::int64_t& out, std::string_view what) {
    if (it.kind == Item::uint) {
        if (it.n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return r.fail(PackErrorCode::out_of_range, it.offset, fmt::format("{} {} does not fit int64", what, it.n));
        out = static_cast<std::int64_t>(it.n);
        return true;
    }
    if (it.kind == Item::negint) {
        if (it.n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return r.fail(PackErrorCode::out_of_range, it.offset, fmt::format("{} -1-{} does not fit int64", what, it.n));
        out = -1 - static_cast<std::int64_t>(it.n);
        return true;
    }
    return r.fail(PackErrorCode::wrong_type, it.offset, fmt::format("{} is {}, not an integer", what, kind_name(it.kind)));
}

bool read_number(Reader& r, const Item& it, std::optional<Number>& out, std::string_view what) {
    if (it.kind == Item::floating) {
        out = Number::real(it.f);
        return true;
    }
    std::int64_t v = 0;
    if (it.kind != Item::uint && it.kind != Item::negint)
        return r.fail(PackErrorCode::wrong_type, it.offset, fmt::format("{} is {}, not a number", what, kind_name(it.kind)));
    if (!read_int(r, it, v, what)) return false;
    out = Number::integer(v);
    return true;
}

bool read_text(Reader& r, const Item& it, std::optional<std::string>& out, std::string_view what) {
    if (it.kind != Item::text)
        return r.fail(PackErrorCode::wrong_type, it.offset, fmt::format("{} is {}, not a text string", what, kind_name(it.kind)));
    out.emplace(reinterpret_cast<const char*>(it.data), it.n);
    return true;
}

const char* label_name(int l) {
    switch (l) {
        case label::bver: return "bver (-1)";
        case label::bn: return "bn (-2)";
        case label::bt: return "bt (-3)";
        case label::bu: return "bu (-4)";
        case label::bv: return "bv (-5)";
        case label::bs: return "bs (-6)";
        case label::n: return "n (0)";
        case label::u: return "u (1)";
        case label::v: return "v (2)";
        case label::vs: return "vs (3)";
        case label::vb: return "vb (4)";
        case label::s: return "s (5)";
        case label::t: return "t (6)";
        case label::ut: return "ut (7)";
        case label::vd: return "vd (8)";
    }
    return "?";
}

bool read_value(Reader& r, Record& rec, int l, const Item& v) {
    const char* what = label_name(l);
    switch (l) {
        case label::bver: {
            std::int64_t x = 0;
            if (!read_int(r, v, x, what)) return false;
            rec.base_version = x;
            return true;
        }
        case label::bn: return read_text(r, v, rec.base_name, what);
        case label::bt: return read_number(r, v, rec.base_time, what);
        case label::bu: return read_text(r, v, rec.base_unit, what);
        case label::bv: return read_number(r, v, rec.base_value, what);
        case label::bs: return read_number(r, v, rec.base_sum, what);
        case label::n: return read_text(r, v, rec.name, what);
        case label::u: return read_text(r, v, rec.unit, what);
        case label::v: return read_number(r, v, rec.value, what);
        case label::vs: return read_text(r, v, rec.string_value, what);
        case label::vb:
            if (v.kind != Item::boolean)
                return r.fail(PackErrorCode::wrong_type, v.offset, fmt::format("{} is {}, not a boolean", what, kind_name(v.kind)));
            rec.bool_value = v.b;
            return true;
        case label::s: return read_number(r, v, rec.sum, what);
        case label::t: return read_number(r, v, rec.time, what);
        case label::ut: return read_number(r, v, rec.update_time, what);
        case label::vd:
            if (v.kind != Item::bytes)
                return r.fail(PackErrorCode::wrong_type, v.offset, fmt::format("{} is {}, not a byte string", what, kind_name(v.kind)));
            rec.data_value.emplace(v.data, v.data + v.n);
            rec.data_value_offset = v.offset + v.size - v.n;
            return true;
    }
    return false;
}

bool read_record(Reader& r, Record& rec) {
    Item m;
    if (!r.next(m)) return false;
    rec.offset = m.offset;
    if (m.kind != Item::map)
        return r.fail(PackErrorCode::record_not_a_map, m.offset, fmt::format("a record is {}, not a map", kind_name(m.kind)));
    std::vector<std::int64_t> seen_int;
    std::vector<std::string> seen_text;
    for (std::uint64_t i = 0; i < m.n; ++i) {
        Item k, v;
        if (!r.next(k)) return false;
        if (k.kind == Item::uint || k.kind == Item::negint) {
            std::int64_t l = 0;
            if (!read_int(r, k, l, "a label")) return false;
            for (auto s : seen_int)
                if (s == l) return r.fail(PackErrorCode::duplicate_label, k.offset, fmt::format("label {} twice in one record", l));
            seen_int.push_back(l);
            if (!r.next(v)) return false;
            if (l >= label::bs && l <= label::vd) {
                if (!read_value(r, rec, static_cast<int>(l), v)) return false;
            } else {
                rec.unknown_labels.push_back({std::to_string(l), k.offset});
                if (!r.skip(v)) return false;
            }
        } else if (k.kind == Item::text) {
            std::string l(reinterpret_cast<const char*>(k.data), k.n);
            for (const auto& s : seen_text)
                if (s == l) return r.fail(PackErrorCode::duplicate_label, k.offset, fmt::format("label \"{}\" twice in one record", l));
            if (!l.empty() && l.back() == '_')
                return r.fail(PackErrorCode::must_understand, k.offset,
                              fmt::format("label \"{}\" must be understood (RFC 8428 §4.4) and is not", l));
            seen_text.push_back(l);
            rec.unknown_labels.push_back({l, k.offset});
            if (!r.next(v) || !r.skip(v)) return false;
        } else {
            return r.fail(PackErrorCode::bad_label, k.offset, fmt::format("a label is {}, not an integer or text", kind_name(k.kind)));
        }
    }
    return true;
}

}  // namespace

bool decode_pack(std::span<const std::uint8_t> payload, Pack& out, PackError& err) noexcept {
    try {
        out.records.clear();
        if (payload.empty()) {
            err = {PackErrorCode::empty_input, 0, "no bytes"};
            return false;
        }
        Reader r(payload, err);
        Item a;
        if (!r.next(a)) return false;
        if (a.kind != Item::array)
            return r.fail(PackErrorCode::not_a_pack, a.offset, fmt::format("the payload is {}, not an array of records", kind_name(a.kind)));
        // each record takes at least one byte: a count beyond the payload is a truncation
        if (a.n > payload.size() - r.pos())
            return r.fail(PackErrorCode::truncated, payload.size(),
                          fmt::format("the array announces {} records, {} byte(s) follow", a.n, payload.size() - r.pos()));
        out.records.resize(a.n);
        for (auto& rec : out.records)
            if (!read_record(r, rec)) return false;
        if (!r.at_end())
            return r.fail(PackErrorCode::trailing_data, r.pos(), fmt::format("{} byte(s) after the pack", payload.size() - r.pos()));
        return true;
    } catch (const std::exception& e) {
        err = {PackErrorCode::malformed, 0, fmt::format("out of memory: {}", e.what())};
        return false;
    }
}

// ------------------------------------------------------------------------------ writing

namespace {

class Writer {
public:
    std::vector<std::uint8_t> out;

    template <typename F>
    void put(F encode) {
        unsigned char buf[16];
        const std::size_t n = encode(buf, sizeof buf);
        out.insert(out.end(), buf, buf + n);
    }
    void integer(std::int64_t v) {
        if (v >= 0)
            put([&](unsigned char* b, std::size_t s) { return cbor_encode_uint(static_cast<std::uint64_t>(v), b, s); });
        else
            put([&](unsigned char* b, std::size_t s) { return cbor_encode_negint(static_cast<std::uint64_t>(-1 - v), b, s); });
    }
    void number(const Number& n) {
        if (!n.is_float) return integer(n.i);
        const double d = n.d;
        const float f = static_cast<float>(d);
        if (std::isnan(d) || static_cast<double>(f) == d) {
            // half when it keeps the value (RFC 8949 §4.2.2: shortest exact form)
            if (std::isnan(d) || std::isinf(d) || half_exact(f)) {
                put([&](unsigned char* b, std::size_t s) { return cbor_encode_half(f, b, s); });
                return;
            }
            put([&](unsigned char* b, std::size_t s) { return cbor_encode_single(f, b, s); });
            return;
        }
        put([&](unsigned char* b, std::size_t s) { return cbor_encode_double(d, b, s); });
    }
    void text(const std::string& t) {
        put([&](unsigned char* b, std::size_t s) { return cbor_encode_string_start(t.size(), b, s); });
        out.insert(out.end(), t.begin(), t.end());
    }
    void bytes(const std::vector<std::uint8_t>& v) {
        put([&](unsigned char* b, std::size_t s) { return cbor_encode_bytestring_start(v.size(), b, s); });
        out.insert(out.end(), v.begin(), v.end());
    }

private:
    // A float that IEEE 754 binary16 holds exactly (normal or subnormal).
    static bool half_exact(float f) {
        if (f == 0.0f) return true;
        int e = 0;
        const float m = std::frexp(std::fabs(f), &e);  // f = m · 2^e, m in [0.5, 1)
        if (e > 16 || e < -23) return false;
        // bits of precision the half format has at this exponent: 11 for normals, fewer below 2^-14
        const int bits = e >= -13 ? 11 : 11 - (-13 - e);
        const float scaled = std::ldexp(m, bits);
        return scaled == std::floor(scaled);
    }
};

}  // namespace

std::vector<std::uint8_t> encode_pack(const Pack& pack) {
    Writer w;
    w.put([&](unsigned char* b, std::size_t s) { return cbor_encode_array_start(pack.records.size(), b, s); });
    for (const Record& r : pack.records) {
        std::size_t n = 0;
        auto count = [&](const auto& o) { n += o.has_value() ? 1 : 0; };
        count(r.base_name), count(r.base_time), count(r.base_unit), count(r.base_value), count(r.base_sum), count(r.base_version);
        count(r.name), count(r.unit), count(r.value), count(r.string_value), count(r.bool_value), count(r.sum), count(r.time);
        count(r.update_time), count(r.data_value);
        if (n == 0) throw std::invalid_argument("SenML record with no field");
        w.put([&](unsigned char* b, std::size_t s) { return cbor_encode_map_start(n, b, s); });
        auto num = [&](int l, const std::optional<Number>& v) {
            if (v) w.integer(l), w.number(*v);
        };
        auto txt = [&](int l, const std::optional<std::string>& v) {
            if (v) w.integer(l), w.text(*v);
        };
        txt(label::bn, r.base_name);
        num(label::bt, r.base_time);
        txt(label::bu, r.base_unit);
        num(label::bv, r.base_value);
        num(label::bs, r.base_sum);
        if (r.base_version) w.integer(label::bver), w.integer(*r.base_version);
        txt(label::n, r.name);
        txt(label::u, r.unit);
        num(label::v, r.value);
        txt(label::vs, r.string_value);
        if (r.bool_value) {
            w.integer(label::vb);
            w.put([&](unsigned char* b, std::size_t s) { return cbor_encode_bool(*r.bool_value, b, s); });
        }
        num(label::s, r.sum);
        num(label::t, r.time);
        num(label::ut, r.update_time);
        if (r.data_value) w.integer(label::vd), w.bytes(*r.data_value);
    }
    return std::move(w.out);
}

}  // namespace metercert::senml
