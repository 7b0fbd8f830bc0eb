// LwM2M content formats (TS 1.1 Core §7.4; content.hpp).
#include "metercert/lwm2m/content.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include <cbor.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metercert/lwm2m/tlv.hpp"

namespace metercert::lwm2m {
namespace {

bool fail(Error& err, ErrorCode c, std::size_t offset, std::string detail) {
    err = Error{c, offset, std::move(detail)};
    return false;
}

Type type_of_value(const Value& v) noexcept {
    switch (v.index()) {
        case 0: return Type::integer;
        case 1: return Type::boolean;
        case 2: return Type::float_;
        case 3: return Type::string;
        case 4: return Type::opaque;
        default: return Type::objlnk;
    }
}

std::string_view tname(Type t) { return devices::cmi6110::type_name(t); }

// ---------------------------------------------------------------- text/plain
std::string to_text(const Value& v) {
    switch (v.index()) {
        case 0: return std::to_string(std::get<std::int64_t>(v));
        case 1: return std::get<bool>(v) ? "1" : "0";
        case 2: return fmt::format("{}", std::get<double>(v));
        case 3: return std::get<std::string>(v);
        case 4: return base64(std::get<Bytes>(v), false);
        default: {
            const auto l = std::get<ObjectLink>(v);
            return fmt::format("{}:{}", l.object, l.instance);
        }
    }
}

bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool parse_objlnk(std::string_view s, ObjectLink& out) noexcept {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    unsigned a = 0, b = 0;
    const auto x = s.substr(0, colon), y = s.substr(colon + 1);
    const auto r1 = std::from_chars(x.data(), x.data() + x.size(), a);
    const auto r2 = std::from_chars(y.data(), y.data() + y.size(), b);
    if (x.empty() || y.empty() || r1.ec != std::errc{} || r1.ptr != x.data() + x.size() || r2.ec != std::errc{} ||
        r2.ptr != y.data() + y.size() || a > 65535 || b > 65535)
        return false;
    out = {static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b)};
    return true;
}

bool from_text(std::string_view s, Type t, Value& out, Error& err) {
    switch (t) {
        case Type::integer:
        case Type::time:
        case Type::unsigned_integer: {
            std::int64_t i = 0;
            if (!parse_i64(s, i)) return fail(err, ErrorCode::bad_value, 0, fmt::format("'{:.40}' is not a decimal {}", s, tname(t)));
            if (t == Type::unsigned_integer && i < 0) return fail(err, ErrorCode::out_of_range, 0, "a negative Unsigned Integer");
            out = i;
            return true;
        }
        case Type::float_: {
            double d = 0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
            if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size())
                return fail(err, ErrorCode::bad_value, 0, fmt::format("'{:.40}' is not a Float", s));
            out = d;
            return true;
        }
        case Type::boolean:
            if (s != "0" && s != "1") return fail(err, ErrorCode::bad_value, 0, fmt::format("Boolean '{:.40}' (\"0\" or \"1\")", s));
            out = s == "1";
            return true;
        case Type::string:
            if (const auto bad = invalid_utf8(s)) return fail(err, ErrorCode::bad_utf8, *bad, "String is not UTF-8");
            out = std::string(s);
            return true;
        case Type::opaque: {
            Bytes b;
            if (!from_base64(s, false, b)) return fail(err, ErrorCode::bad_value, 0, "Opaque text is not base64 (RFC 4648 §4)");
            out = std::move(b);
            return true;
        }
        case Type::objlnk: {
            ObjectLink l;
            if (!parse_objlnk(s, l)) return fail(err, ErrorCode::bad_value, 0, fmt::format("Objlnk '{:.40}' (\"object:instance\")", s));
            out = l;
            return true;
        }
        case Type::none: break;
    }
    return fail(err, ErrorCode::wrong_type, 0, "an executable resource has no value");
}

// the one resource or resource instance a text/opaque payload may address
bool single_target(const Path& request, const TypeOf& type_of, ResourceInfo& info, Error& err) {
    if (request.depth < 3) return fail(err, ErrorCode::not_representable, 0, fmt::format("a single value cannot address {}", to_string(request)));
    const auto i = type_of(request.prefix(3));
    if (!i) return fail(err, ErrorCode::unknown_resource, 0, fmt::format("no resource {}", to_string(request.prefix(3))));
    if (i->multiple && request.depth == 3)
        return fail(err, ErrorCode::not_representable, 0, fmt::format("{} is a multiple-instance resource", to_string(request)));
    if (!i->multiple && request.depth == 4)
        return fail(err, ErrorCode::unknown_resource, 0, fmt::format("{} is a single-instance resource", to_string(request.prefix(3))));
    info = *i;
    return true;
}

// ---------------------------------------------------------------- TLV
bool check_under(const Path& request, std::span<const Entry> entries, Error& err) {
    for (const auto& e : entries)
        if (!request.contains(e.path) || e.path.depth < 3)
            return fail(err, ErrorCode::not_representable, 0, fmt::format("{} is not a resource below {}", to_string(e.path), to_string(request)));
    return true;
}

Bytes tlv_value(const Value& v) { return encode_tlv_value(v, type_of_value(v)); }

bool encode_tlv_content(const Path& request, std::span<const Entry> entries, Bytes& out, Error& err) {
    if (!check_under(request, entries, err)) return false;
    // instance → resource → (resource instance → value | value)
    std::map<std::uint16_t, std::map<std::uint16_t, std::vector<const Entry*>>> tree;
    for (const auto& e : entries) tree[e.path.instance_id()][e.path.resource_id()].push_back(&e);
    auto resource_tlv = [](std::uint16_t rid, const std::vector<const Entry*>& es) {
        if (es.size() == 1 && es[0]->path.depth == 3) return Tlv{TlvKind::resource_value, rid, tlv_value(es[0]->value), {}, 0};
        Tlv m{TlvKind::multiple_resource, rid, {}, {}, 0};
        for (const auto* e : es) m.children.push_back(Tlv{TlvKind::resource_instance, e->path.resource_instance_id(), tlv_value(e->value), {}, 0});
        return m;
    };
    std::vector<Tlv> top;
    if (request.depth == 4) {
        for (const auto& e : entries) top.push_back(Tlv{TlvKind::resource_instance, e.path.resource_instance_id(), tlv_value(e.value), {}, 0});
    } else if (request.depth == 3) {
        for (const auto& [iid, rs] : tree)
            for (const auto& [rid, es] : rs) top.push_back(resource_tlv(rid, es));
    } else if (request.depth == 2) {
        for (const auto& [iid, rs] : tree)
            for (const auto& [rid, es] : rs) top.push_back(resource_tlv(rid, es));
    } else {
        for (const auto& [iid, rs] : tree) {
            Tlv o{TlvKind::object_instance, iid, {}, {}, 0};
            for (const auto& [rid, es] : rs) o.children.push_back(resource_tlv(rid, es));
            top.push_back(std::move(o));
        }
    }
    out = encode_tlv(top);
    return true;
}

bool tlv_to_entry(const Tlv& t, const Path& path, const ResourceInfo& info, std::vector<Entry>& out, Error& err) {
    Value v;
    if (!decode_tlv_value(t.value, info.type, t.offset, v, err)) return false;
    out.push_back(Entry{path, std::move(v)});
    return true;
}

bool tlv_resource(const Tlv& t, const Path& instance, const TypeOf& type_of, std::vector<Entry>& out, Error& err) {
    const Path rp = instance.child(t.id);
    const auto info = type_of(rp);
    if (!info) return fail(err, ErrorCode::unknown_resource, t.offset, fmt::format("no resource {}", to_string(rp)));
    if (t.kind == TlvKind::resource_value) {
        if (info->multiple) return fail(err, ErrorCode::bad_nesting, t.offset, fmt::format("{} is multiple-instance: a Multiple Resource TLV", to_string(rp)));
        return tlv_to_entry(t, rp, *info, out, err);
    }
    if (t.kind != TlvKind::multiple_resource)
        return fail(err, ErrorCode::bad_nesting, t.offset, fmt::format("{} where a resource of {} belongs", kind_name(t.kind), to_string(instance)));
    if (!info->multiple) return fail(err, ErrorCode::bad_nesting, t.offset, fmt::format("{} is single-instance: a Resource with Value TLV", to_string(rp)));
    for (const auto& c : t.children)
        if (!tlv_to_entry(c, rp.child(c.id), *info, out, err)) return false;
    return true;
}

bool decode_tlv_content(const Path& request, std::span<const std::uint8_t> payload, const TypeOf& type_of, std::vector<Entry>& out, Error& err) {
    std::vector<Tlv> top;
    if (!decode_tlv(payload, top, err)) return false;
    switch (request.depth) {
        case 1:
            for (const auto& o : top) {
                if (o.kind != TlvKind::object_instance)
                    return fail(err, ErrorCode::bad_nesting, o.offset, fmt::format("{} where an Object Instance of {} belongs", kind_name(o.kind), to_string(request)));
                for (const auto& r : o.children)
                    if (!tlv_resource(r, request.child(o.id), type_of, out, err)) return false;
            }
            return true;
        case 2: {
            std::span<const Tlv> rs = top;
            if (top.size() == 1 && top[0].kind == TlvKind::object_instance) {
                if (top[0].id != request.instance_id())
                    return fail(err, ErrorCode::path_mismatch, top[0].offset, fmt::format("Object Instance {} for {}", top[0].id, to_string(request)));
                rs = top[0].children;
            }
            for (const auto& r : rs)
                if (!tlv_resource(r, request, type_of, out, err)) return false;
            return true;
        }
        case 3: {
            const auto info = type_of(request);
            if (!info) return fail(err, ErrorCode::unknown_resource, 0, fmt::format("no resource {}", to_string(request)));
            if (info->multiple && !top.empty() && top[0].kind == TlvKind::resource_instance) {  // bare instances
                for (const auto& c : top) {
                    if (c.kind != TlvKind::resource_instance)
                        return fail(err, ErrorCode::bad_nesting, c.offset, fmt::format("{} among Resource Instances", kind_name(c.kind)));
                    if (!tlv_to_entry(c, request.child(c.id), *info, out, err)) return false;
                }
                return true;
            }
            if (top.empty() && info->multiple) return true;  // no instances
            if (top.size() != 1) return fail(err, ErrorCode::bad_nesting, top.empty() ? 0 : top[1].offset, fmt::format("{} TLVs for the one resource {}", top.size(), to_string(request)));
            if (top[0].id != request.resource_id())
                return fail(err, ErrorCode::path_mismatch, top[0].offset, fmt::format("resource {} for {}", top[0].id, to_string(request)));
            return tlv_resource(top[0], request.prefix(2), type_of, out, err);
        }
        case 4: {
            const auto info = type_of(request.prefix(3));
            if (!info || !info->multiple) return fail(err, ErrorCode::unknown_resource, 0, fmt::format("no resource instance {}", to_string(request)));
            if (top.size() != 1 || top[0].kind != TlvKind::resource_instance)
                return fail(err, ErrorCode::bad_nesting, 0, fmt::format("one Resource Instance TLV for {}", to_string(request)));
            if (top[0].id != request.resource_instance_id())
                return fail(err, ErrorCode::path_mismatch, top[0].offset, fmt::format("resource instance {} for {}", top[0].id, to_string(request)));
            return tlv_to_entry(top[0], request, *info, out, err);
        }
        default: return fail(err, ErrorCode::bad_nesting, 0, "a TLV payload for the root path");
    }
}

// ---------------------------------------------------------------- SenML (both representations)
// One record as read from JSON or CBOR
struct SRecord {
    std::size_t offset = 0;  // byte offset (CBOR) or record index (JSON)
    std::optional<std::string> bn, n;
    enum Kind { none, number, string, boolean, data, objlnk } kind = none;
    bool is_int = false;
    std::int64_t i = 0;
    double d = 0;
    std::string s;
    bool b = false;
    Bytes vd;
};

// Names and values of the records → entries
bool senml_to_entries(const std::vector<SRecord>& recs, const Path& request, const TypeOf& type_of, std::vector<Entry>& out, Error& err,
                      bool json) {
    std::string base;
    for (std::size_t k = 0; k < recs.size(); ++k) {
        const auto& r = recs[k];
        const auto off = r.offset;
        const auto rec = json ? fmt::format("record {}: ", k) : std::string();
        if (r.bn) base = *r.bn;
        const std::string name = base + r.n.value_or("");
        const auto p = parse_path(name);
        if (!p || p->depth < 3) return fail(err, ErrorCode::bad_value, off, fmt::format("{}name '{:.60}' is not a resource path", rec, name));
        if (!request.contains(*p)) return fail(err, ErrorCode::path_mismatch, off, fmt::format("{}{} is not below {}", rec, name, to_string(request)));
        const auto info = type_of(p->prefix(3));
        if (!info || (info->multiple != (p->depth == 4)))
            return fail(err, ErrorCode::unknown_resource, off, fmt::format("{}no resource {}", rec, name));
        for (const auto& e : out)
            if (e.path == *p) return fail(err, ErrorCode::duplicate, off, fmt::format("{}{} twice", rec, name));
        Value v;
        const auto t = info->type;
        auto wrong = [&](std::string_view got) {
            return fail(err, ErrorCode::wrong_type, off, fmt::format("{}{} is {}, the record holds {}", rec, name, tname(t), got));
        };
        switch (t) {
            case Type::integer:
            case Type::time:
            case Type::unsigned_integer:
                if (r.kind != SRecord::number) return wrong("no \"v\"");
                if (r.is_int) v = r.i;
                else if (std::isfinite(r.d) && std::floor(r.d) == r.d && std::fabs(r.d) < 9.2e18) v = static_cast<std::int64_t>(r.d);
                else return fail(err, ErrorCode::bad_value, off, fmt::format("{}{} is {}: {} is not a whole number", rec, name, tname(t), r.d));
                if (t == Type::unsigned_integer && std::get<std::int64_t>(v) < 0) return fail(err, ErrorCode::out_of_range, off, rec + "a negative Unsigned Integer");
                break;
            case Type::float_:
                if (r.kind != SRecord::number) return wrong("no \"v\"");
                v = r.is_int ? static_cast<double>(r.i) : r.d;
                break;
            case Type::boolean:
                if (r.kind != SRecord::boolean) return wrong("no \"vb\"");
                v = r.b;
                break;
            case Type::string:
                if (r.kind != SRecord::string) return wrong("no \"vs\"");
                if (invalid_utf8(r.s)) return fail(err, ErrorCode::bad_utf8, off, rec + "String is not UTF-8");
                v = r.s;
                break;
            case Type::opaque:
                if (r.kind != SRecord::data) return wrong("no \"vd\"");
                v = r.vd;
                break;
            case Type::objlnk: {
                if (r.kind != SRecord::objlnk) return wrong("no \"vlo\"");
                ObjectLink l;
                if (!parse_objlnk(r.s, l)) return fail(err, ErrorCode::bad_value, off, fmt::format("{}vlo '{:.40}' (\"object:instance\")", rec, r.s));
                v = l;
                break;
            }
            case Type::none: return fail(err, ErrorCode::wrong_type, off, rec + name + " is executable: no value");
        }
        out.push_back(Entry{*p, std::move(v)});
    }
    return true;
}

// bn and n of each entry (see content.hpp)
std::pair<std::string, std::optional<std::string>> senml_name(const Path& request, const Entry& e) {
    if (e.path == request) return {to_string(request), std::nullopt};
    std::string rel;
    for (std::uint8_t k = request.depth; k < e.path.depth; ++k) {
        if (k != request.depth) rel += '/';
        rel += std::to_string(e.path.ids[k]);
    }
    return {request.depth == 0 ? "/" : to_string(request) + "/", rel};
}

// ---- JSON
bool encode_senml_json(const Path& request, std::span<const Entry> entries, Bytes& out, Error& err) {
    if (!check_under(request, entries, err)) return false;
    auto arr = nlohmann::ordered_json::array();
    bool first = true;
    for (const auto& e : entries) {
        nlohmann::ordered_json r = nlohmann::ordered_json::object();
        const auto [bn, n] = senml_name(request, e);
        if (first) r["bn"] = bn;
        if (n) r["n"] = *n;
        if (!first && !n) r["n"] = "";
        first = false;
        switch (e.value.index()) {
            case 0: r["v"] = std::get<std::int64_t>(e.value); break;
            case 1: r["vb"] = std::get<bool>(e.value); break;
            case 2: r["v"] = std::get<double>(e.value); break;
            case 3:
                if (invalid_utf8(std::get<std::string>(e.value))) return fail(err, ErrorCode::bad_utf8, 0, to_string(e.path) + " is not UTF-8");
                r["vs"] = std::get<std::string>(e.value);
                break;
            case 4: r["vd"] = base64(std::get<Bytes>(e.value), true); break;
            default: r["vlo"] = to_text(e.value); break;
        }
        arr.push_back(std::move(r));
    }
    const auto s = arr.dump();
    out.assign(s.begin(), s.end());
    return true;
}

bool decode_senml_json(const Path& request, std::span<const std::uint8_t> payload, const TypeOf& type_of, std::vector<Entry>& out, Error& err) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(payload.begin(), payload.end());
    } catch (const nlohmann::json::parse_error& e) {
        return fail(err, ErrorCode::syntax, e.byte > 0 ? e.byte - 1 : 0, fmt::format("JSON: {}", e.what()));
    } catch (const nlohmann::json::exception& e) {  // a number beyond double (out_of_range 406): no byte known
        return fail(err, ErrorCode::syntax, 0, fmt::format("JSON: {}", e.what()));
    }
    if (!j.is_array()) return fail(err, ErrorCode::syntax, 0, "a SenML pack is a JSON array (RFC 8428 §5)");
    std::vector<SRecord> recs;
    for (std::size_t k = 0; k < j.size(); ++k) {
        const auto& o = j[k];
        const auto rec = fmt::format("record {}: ", k);
        if (!o.is_object()) return fail(err, ErrorCode::syntax, k, rec + "not a JSON object");
        SRecord r;
        r.offset = k;
        for (auto it = o.begin(); it != o.end(); ++it) {
            const std::string& key = it.key();
            const auto& v = it.value();
            auto need = [&](bool ok, std::string_view what) {
                if (!ok) fail(err, ErrorCode::wrong_type, k, fmt::format("{}\"{}\" is not {}", rec, key, what));
                return ok;
            };
            auto set_kind = [&](SRecord::Kind kd) {
                if (r.kind != SRecord::none) return fail(err, ErrorCode::duplicate, k, rec + "two values");
                r.kind = kd;
                return true;
            };
            if (key == "bn") {
                if (!need(v.is_string(), "a string")) return false;
                r.bn = v.get<std::string>();
            } else if (key == "n") {
                if (!need(v.is_string(), "a string")) return false;
                r.n = v.get<std::string>();
            } else if (key == "v") {
                if (!need(v.is_number(), "a number") || !set_kind(SRecord::number)) return false;
                if (v.is_number_integer() && (v.is_number_unsigned() ? v.get<std::uint64_t>() <= INT64_MAX : true)) {
                    r.is_int = true;
                    r.i = v.get<std::int64_t>();
                } else if (v.is_number_unsigned()) {
                    return fail(err, ErrorCode::out_of_range, k, rec + "\"v\" beyond int64");
                } else r.d = v.get<double>();
            } else if (key == "vs" || key == "vlo") {
                if (!need(v.is_string(), "a string") || !set_kind(key == "vs" ? SRecord::string : SRecord::objlnk)) return false;
                r.s = v.get<std::string>();
            } else if (key == "vb") {
                if (!need(v.is_boolean(), "true or false") || !set_kind(SRecord::boolean)) return false;
                r.b = v.get<bool>();
            } else if (key == "vd") {
                if (!need(v.is_string(), "a string") || !set_kind(SRecord::data)) return false;
                if (!from_base64(v.get<std::string>(), true, r.vd)) return fail(err, ErrorCode::bad_value, k, rec + "\"vd\" is not base64url (RFC 4648 §5)");
            } else if (key == "bt" || key == "t" || key == "bver") {
                if (!need(v.is_number(), "a number")) return false;
            } else if (!key.empty() && key.back() == '_') {
                return fail(err, ErrorCode::bad_value, k, fmt::format("{}must-understand label \"{}\" (RFC 8428 §4.4)", rec, key));
            }  // other labels are ignored (RFC 8428 §4.4)
        }
        recs.push_back(std::move(r));
    }
    return senml_to_entries(recs, request, type_of, out, err, true);
}

// ---- CBOR
// Well-formedness of the whole input before libcbor builds it (definite lengths only, counts and
// lengths within the input, nesting ≤ 8), and the offsets of the top-level array's items
bool cbor_scan(std::span<const std::uint8_t> in, std::vector<std::size_t>& record_offsets, Error& err) {
    std::vector<std::uint64_t> pending;  // items still to read per open array/map
    std::size_t at = 0;
    pending.push_back(1);
    while (!pending.empty()) {
        if (pending.back() == 0) {
            pending.pop_back();
            continue;
        }
        --pending.back();
        if (pending.size() == 2) record_offsets.push_back(at);
        if (at >= in.size()) return fail(err, ErrorCode::truncated, at, "CBOR item missing");
        const std::size_t start = at;
        const unsigned mt = in[at] >> 5, ai = in[at] & 0x1F;
        ++at;
        std::uint64_t arg = ai;
        if (ai >= 24 && ai <= 27) {
            const unsigned w = 1u << (ai - 24);
            if (in.size() - at < w) return fail(err, ErrorCode::truncated, at, "CBOR argument cut short");
            arg = 0;
            for (unsigned k = 0; k < w; ++k) arg = arg << 8 | in[at++];
        } else if (ai == 31) {
            return fail(err, ErrorCode::syntax, start, "indefinite-length CBOR item (definite lengths only)");
        } else if (ai > 27) {
            return fail(err, ErrorCode::syntax, start, fmt::format("reserved CBOR additional information {}", ai));
        }
        switch (mt) {
            case 0: case 1: break;
            case 2: case 3:
                if (in.size() - at < arg) return fail(err, ErrorCode::truncated, at, fmt::format("CBOR string of {} bytes, {} left", arg, in.size() - at));
                at += static_cast<std::size_t>(arg);
                break;
            case 4: case 5: {
                const std::uint64_t n = mt == 5 ? arg * 2 : arg;
                if (arg > in.size() - at || n > in.size() - at) return fail(err, ErrorCode::truncated, at, fmt::format("CBOR container of {} items, {} bytes left", arg, in.size() - at));
                if (pending.size() >= 8) return fail(err, ErrorCode::syntax, start, "CBOR nested deeper than SenML goes");
                pending.push_back(n);
                break;
            }
            case 6:
                if (pending.size() >= 8) return fail(err, ErrorCode::syntax, start, "CBOR nested deeper than SenML goes");
                pending.push_back(1);  // the tagged item
                break;
            default:
                if (ai < 20 || (ai > 23 && ai < 25)) {
                    if (ai == 24 && arg < 32) return fail(err, ErrorCode::syntax, start, "simple value in two bytes below 32");
                }
                break;
        }
    }
    if (at != in.size()) return fail(err, ErrorCode::trailing_data, at, fmt::format("{} bytes after the SenML pack", in.size() - at));
    return true;
}

struct CborFree {
    void operator()(cbor_item_t* i) const noexcept { cbor_decref(&i); }
};
using CborPtr = std::unique_ptr<cbor_item_t, CborFree>;

cbor_item_t* cbor_int(std::int64_t v) {
    if (v >= 0) {
        const auto u = static_cast<std::uint64_t>(v);
        if (u <= 0xFF) return cbor_build_uint8(static_cast<std::uint8_t>(u));
        if (u <= 0xFFFF) return cbor_build_uint16(static_cast<std::uint16_t>(u));
        if (u <= 0xFFFFFFFF) return cbor_build_uint32(static_cast<std::uint32_t>(u));
        return cbor_build_uint64(u);
    }
    const auto u = static_cast<std::uint64_t>(-(v + 1));  // CBOR negint argument: −1 − v
    if (u <= 0xFF) return cbor_build_negint8(static_cast<std::uint8_t>(u));
    if (u <= 0xFFFF) return cbor_build_negint16(static_cast<std::uint16_t>(u));
    if (u <= 0xFFFFFFFF) return cbor_build_negint32(static_cast<std::uint32_t>(u));
    return cbor_build_negint64(u);
}

void map_add(cbor_item_t* map, cbor_item_t* k, cbor_item_t* v) {
    (void)cbor_map_add(map, cbor_pair{cbor_move(k), cbor_move(v)});
}

bool encode_senml_cbor(const Path& request, std::span<const Entry> entries, Bytes& out, Error& err) {
    if (!check_under(request, entries, err)) return false;
    CborPtr arr(cbor_new_definite_array(entries.size()));
    bool first = true;
    for (const auto& e : entries) {
        const auto [bn, n] = senml_name(request, e);
        const bool with_n = n.has_value() || !first;
        cbor_item_t* m = cbor_new_definite_map((first ? 1 : 0) + (with_n ? 1 : 0) + 1);
        if (first) map_add(m, cbor_int(-2), cbor_build_string(bn.c_str()));
        if (with_n) map_add(m, cbor_int(0), cbor_build_stringn(n.value_or("").data(), n.value_or("").size()));
        first = false;
        switch (e.value.index()) {
            case 0: map_add(m, cbor_int(2), cbor_int(std::get<std::int64_t>(e.value))); break;
            case 1: map_add(m, cbor_int(4), cbor_build_bool(std::get<bool>(e.value))); break;
            case 2: map_add(m, cbor_int(2), cbor_build_float8(std::get<double>(e.value))); break;
            case 3: {
                const auto& s = std::get<std::string>(e.value);
                if (invalid_utf8(s)) {
                    cbor_decref(&m);
                    return fail(err, ErrorCode::bad_utf8, 0, to_string(e.path) + " is not UTF-8");
                }
                map_add(m, cbor_int(3), cbor_build_stringn(s.data(), s.size()));
                break;
            }
            case 4: {
                const auto& b = std::get<Bytes>(e.value);
                map_add(m, cbor_int(8), cbor_build_bytestring(b.data(), b.size()));
                break;
            }
            default: {
                const auto s = to_text(e.value);
                map_add(m, cbor_build_string("vlo"), cbor_build_stringn(s.data(), s.size()));
            }
        }
        (void)cbor_array_push(arr.get(), cbor_move(m));
    }
    unsigned char* buf = nullptr;
    std::size_t cap = 0;
    const std::size_t n = cbor_serialize_alloc(arr.get(), &buf, &cap);
    out.assign(buf, buf + n);
    free(buf);
    return true;
}

bool cbor_text(const cbor_item_t* i, std::string& s) {
    if (!cbor_isa_string(i) || !cbor_string_is_definite(i)) return false;
    s.assign(reinterpret_cast<const char*>(cbor_string_handle(i)), cbor_string_length(i));
    return true;
}

bool decode_senml_cbor(const Path& request, std::span<const std::uint8_t> payload, const TypeOf& type_of, std::vector<Entry>& out, Error& err) {
    std::vector<std::size_t> offs;
    if (!cbor_scan(payload, offs, err)) return false;
    cbor_load_result res{};
    CborPtr root(cbor_load(payload.data(), payload.size(), &res));
    if (!root || res.error.code != CBOR_ERR_NONE)
        return fail(err, ErrorCode::syntax, res.error.position, fmt::format("CBOR does not load (libcbor error {})", static_cast<int>(res.error.code)));
    if (!cbor_isa_array(root.get())) return fail(err, ErrorCode::syntax, 0, "a SenML pack is a CBOR array (RFC 8428 §6)");
    const std::size_t n = cbor_array_size(root.get());
    std::vector<SRecord> recs;
    for (std::size_t k = 0; k < n; ++k) {
        const cbor_item_t* m = cbor_array_handle(root.get())[k];
        const std::size_t off = k < offs.size() ? offs[k] : 0;
        if (!cbor_isa_map(m)) return fail(err, ErrorCode::syntax, off, "a SenML record is a CBOR map");
        SRecord r;
        r.offset = off;
        const auto* pairs = cbor_map_handle(m);
        for (std::size_t p = 0; p < cbor_map_size(m); ++p) {
            const cbor_item_t* key = pairs[p].key;
            const cbor_item_t* v = pairs[p].value;
            std::int64_t label = 1000;
            std::string tkey;
            if (cbor_isa_uint(key)) label = cbor_get_int(key) > 1000 ? 1000 : static_cast<std::int64_t>(cbor_get_int(key));
            else if (cbor_isa_negint(key)) label = cbor_get_int(key) > 1000 ? -1000 : -1 - static_cast<std::int64_t>(cbor_get_int(key));
            else if (!cbor_text(key, tkey)) return fail(err, ErrorCode::syntax, off, "a SenML label is an integer or a text string");
            auto wrong = [&](std::string_view what) { return fail(err, ErrorCode::wrong_type, off, fmt::format("label {} is not {}", tkey.empty() ? std::to_string(label) : tkey, what)); };
            auto set_kind = [&](SRecord::Kind kd) {
                if (r.kind != SRecord::none) return fail(err, ErrorCode::duplicate, off, "two values in one record");
                r.kind = kd;
                return true;
            };
            if (!tkey.empty()) {
                if (tkey == "vlo") {
                    if (!set_kind(SRecord::objlnk)) return false;
                    if (!cbor_text(v, r.s)) return wrong("a text string");
                } else if (tkey.back() == '_') {
                    return fail(err, ErrorCode::bad_value, off, fmt::format("must-understand label \"{}\" (RFC 8428 §4.4)", tkey));
                }
                continue;
            }
            switch (label) {
                case -2:
                case 0: {
                    std::string s;
                    if (!cbor_text(v, s)) return wrong("a text string");
                    (label == -2 ? r.bn : r.n) = s;
                    break;
                }
                case 2:
                    if (!set_kind(SRecord::number)) return false;
                    if (cbor_isa_uint(v)) {
                        if (cbor_get_int(v) > static_cast<std::uint64_t>(INT64_MAX)) return fail(err, ErrorCode::out_of_range, off, "\"v\" beyond int64");
                        r.is_int = true, r.i = static_cast<std::int64_t>(cbor_get_int(v));
                    } else if (cbor_isa_negint(v)) {
                        if (cbor_get_int(v) > static_cast<std::uint64_t>(INT64_MAX)) return fail(err, ErrorCode::out_of_range, off, "\"v\" beyond int64");
                        r.is_int = true, r.i = -1 - static_cast<std::int64_t>(cbor_get_int(v));
                    } else if (cbor_isa_float_ctrl(v) && cbor_is_float(v)) {
                        r.d = cbor_float_get_float(v);
                    } else return wrong("a number");
                    break;
                case 3:
                    if (!set_kind(SRecord::string)) return false;
                    if (!cbor_text(v, r.s)) return wrong("a text string");
                    break;
                case 4:
                    if (!set_kind(SRecord::boolean)) return false;
                    if (!cbor_isa_float_ctrl(v) || !cbor_is_bool(v)) return wrong("true or false");
                    r.b = cbor_get_bool(v);
                    break;
                case 8:
                    if (!set_kind(SRecord::data)) return false;
                    if (!cbor_isa_bytestring(v) || !cbor_bytestring_is_definite(v)) return wrong("a byte string");
                    r.vd.assign(cbor_bytestring_handle(v), cbor_bytestring_handle(v) + cbor_bytestring_length(v));
                    break;
                default: break;  // time and other labels: ignored (RFC 8428 §4.4)
            }
        }
        recs.push_back(std::move(r));
    }
    return senml_to_entries(recs, request, type_of, out, err, false);
}

}  // namespace

bool value_format(std::uint16_t f) noexcept {
    return f == content_format::text || f == content_format::opaque || f == content_format::tlv || f == content_format::senml_json ||
           f == content_format::senml_cbor;
}

std::string_view format_name(std::uint16_t f) noexcept {
    switch (f) {
        case content_format::text: return "text/plain;charset=utf-8";
        case content_format::link: return "application/link-format";
        case content_format::opaque: return "application/octet-stream";
        case content_format::senml_json: return "application/senml+json";
        case content_format::senml_cbor: return "application/senml+cbor";
        case content_format::tlv: return "application/vnd.oma.lwm2m+tlv";
        case content_format::lwm2m_json: return "application/vnd.oma.lwm2m+json";
        default: return "?";
    }
}

bool encode_content(std::uint16_t format, const Path& request, std::span<const Entry> entries, Bytes& out, Error& err) {
    out.clear();
    switch (format) {
        case content_format::text:
        case content_format::opaque: {
            if (entries.size() != 1 || entries[0].path != request)
                return fail(err, ErrorCode::not_representable, 0, fmt::format("{} holds one value at the request path; {} values for {}", format_name(format), entries.size(), to_string(request)));
            const auto& v = entries[0].value;
            if (format == content_format::opaque) {
                const auto* b = std::get_if<Bytes>(&v);
                if (!b) return fail(err, ErrorCode::not_representable, 0, fmt::format("opaque holds an Opaque value, {} is {}", to_string(request), tname(type_of_value(v))));
                out = *b;
                return true;
            }
            if (const auto* s = std::get_if<std::string>(&v); s && invalid_utf8(*s)) return fail(err, ErrorCode::bad_utf8, 0, to_string(request) + " is not UTF-8");
            const auto t = to_text(v);
            out.assign(t.begin(), t.end());
            return true;
        }
        case content_format::tlv: return encode_tlv_content(request, entries, out, err);
        case content_format::senml_json: return encode_senml_json(request, entries, out, err);
        case content_format::senml_cbor: return encode_senml_cbor(request, entries, out, err);
        default: return fail(err, ErrorCode::unsupported_format, 0, fmt::format("Content-Format {} is not a value format of this layer", format));
    }
}

bool decode_content(std::uint16_t format, const Path& request, std::span<const std::uint8_t> payload, const TypeOf& type_of,
                    std::vector<Entry>& out, Error& err) {
    out.clear();
    switch (format) {
        case content_format::text: {
            ResourceInfo info;
            if (!single_target(request, type_of, info, err)) return false;
            Value v;
            if (!from_text(std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), info.type, v, err)) return false;
            out.push_back(Entry{request, std::move(v)});
            return true;
        }
        case content_format::opaque: {
            ResourceInfo info;
            if (!single_target(request, type_of, info, err)) return false;
            if (info.type != Type::opaque) return fail(err, ErrorCode::not_representable, 0, fmt::format("opaque for {} of type {}", to_string(request), tname(info.type)));
            out.push_back(Entry{request, Bytes(payload.begin(), payload.end())});
            return true;
        }
        case content_format::tlv: return decode_tlv_content(request, payload, type_of, out, err);
        case content_format::senml_json: return decode_senml_json(request, payload, type_of, out, err);
        case content_format::senml_cbor: return decode_senml_cbor(request, payload, type_of, out, err);
        default: return fail(err, ErrorCode::unsupported_format, 0, fmt::format("Content-Format {} is not a value format of this layer", format));
    }
}

std::string base64(std::span<const std::uint8_t> b, bool url) {
    static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char* a = url ? kUrl : kStd;
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        const unsigned v = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
        out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += a[v >> 6 & 63], out += a[v & 63];
    }
    if (const auto rest = b.size() - i; rest > 0) {
        const unsigned v = b[i] << 16 | (rest == 2 ? b[i + 1] << 8 : 0);
        out += a[v >> 18 & 63], out += a[v >> 12 & 63];
        if (rest == 2) out += a[v >> 6 & 63];
        if (!url) out += rest == 2 ? "=" : "==";
    }
    return out;
}

bool from_base64(std::string_view s, bool url, Bytes& out) noexcept {
    out.clear();
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    if (s.size() % 4 == 1) return false;
    unsigned acc = 0;
    int bits = 0;
    for (char c : s) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == (url ? '-' : '+')) v = 62;
        else if (c == (url ? '_' : '/')) v = 63;
        if (v < 0) return false;
        acc = (acc << 6 | static_cast<unsigned>(v)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return true;
}

}  // namespace metercert::lwm2m
