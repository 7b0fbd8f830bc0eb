// The LwM2M operation layer on the CMi6110 model (TS 1.1 §5.2, §5.4; operations.hpp).
#include "metercert/lwm2m/operations.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "metercert/lwm2m/links.hpp"

namespace metercert::lwm2m {
namespace cm = devices::cmi6110;
namespace {

Response refuse(Code c, std::string why) {
    Response r;
    r.code = c;
    r.diagnostic = std::move(why);
    return r;
}

Code code_of(cm::Outcome o) {
    switch (o) {
        case cm::Outcome::content: return code::content;
        case cm::Outcome::changed: return code::changed;
        case cm::Outcome::bad_request: return code::bad_request;
        case cm::Outcome::not_found: return code::not_found;
        case cm::Outcome::method_not_allowed: return code::method_not_allowed;
        case cm::Outcome::locked: return code::unauthorized;  // NFC only; never from LwM2M
    }
    return code::bad_request;
}

cm::Path model_path(const Path& p) {
    cm::Path m{p.object_id(), p.instance_id(), p.resource_id(), std::nullopt};
    if (p.depth == 4) m.resource_instance = p.resource_instance_id();
    return m;
}

// The rows of one object instance in resource order
std::vector<const cm::ResourceSpec*> rows_of(std::uint16_t object, std::uint16_t instance) {
    std::vector<const cm::ResourceSpec*> out;
    for (const auto& s : cm::object_table())
        if (s.object == object && instance >= s.first_instance && instance <= s.last_instance) out.push_back(&s);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->resource < b->resource; });
    return out;
}

bool numeric(cm::Lwm2mType t) { return t == Type::integer || t == Type::unsigned_integer || t == Type::float_; }

}  // namespace

std::string_view operation_name(Operation o) noexcept {
    switch (o) {
        case Operation::read: return "read";
        case Operation::write_replace: return "write-replace";
        case Operation::write_partial: return "write-partial";
        case Operation::execute: return "execute";
        case Operation::discover: return "discover";
        case Operation::write_attributes: return "write-attributes";
        case Operation::create: return "create";
        case Operation::delete_: return "delete";
        case Operation::bootstrap_write: return "bootstrap-write";
        case Operation::bootstrap_delete: return "bootstrap-delete";
        case Operation::bootstrap_discover: return "bootstrap-discover";
    }
    return "?";
}

std::string Code::str() const { return fmt::format("{}.{:02}", cls, detail); }

std::optional<ResourceInfo> ClientObjects::type_of(const Path& p) {
    const auto* s = cm::find_resource(p.object_id(), p.instance_id(), p.resource_id());
    if (!s || p.depth < 3) return std::nullopt;
    return ResourceInfo{s->type == Type::none ? Type::opaque : s->type, s->multiple};
}

std::vector<Path> ClientObjects::object_instances() const {
    std::set<Path> seen;
    for (const auto& s : cm::object_table()) {
        if (s.object == cm::kNoObject) continue;
        for (unsigned i = s.first_instance; i <= s.last_instance; ++i) seen.insert(Path::instance(s.object, static_cast<std::uint16_t>(i)));
    }
    return {seen.begin(), seen.end()};
}

std::string ClientObjects::register_payload(std::optional<std::uint16_t> content_format) const {
    const auto inst = object_instances();
    return lwm2m::register_payload(inst, content_format);
}

bool ClientObjects::exists(const Path& p) const {
    if (p.depth == 0) return true;
    for (const auto& s : cm::object_table()) {
        if (s.object != p.object_id()) continue;
        if (p.depth == 1) return true;
        if (p.instance_id() < s.first_instance || p.instance_id() > s.last_instance) continue;
        if (p.depth == 2) return true;
        if (s.resource != p.resource_id()) continue;
        return p.depth == 3 || (s.multiple && p.resource_instance_id() == 0);
    }
    return false;
}

Attributes ClientObjects::attributes(const Path& p) const {
    const auto it = attributes_.find(p);
    return it == attributes_.end() ? Attributes{} : it->second;
}

Attributes ClientObjects::effective_attributes(const Path& r) const {
    return effective(attributes(r.prefix(1)), attributes(r.prefix(2)), attributes(r.prefix(3)));
}

Response ClientObjects::handle(const Request& r) {
    const bool bs_op = r.op == Operation::bootstrap_write || r.op == Operation::bootstrap_delete || r.op == Operation::bootstrap_discover;
    const bool dm_only = r.op == Operation::execute || r.op == Operation::discover || r.op == Operation::write_attributes ||
                         r.op == Operation::create || r.op == Operation::delete_ || r.op == Operation::write_replace ||
                         r.op == Operation::write_partial;
    if (bs_op && r.origin != Origin::bootstrap)
        return refuse(code::method_not_allowed, fmt::format("{} comes from the Bootstrap-Server only", operation_name(r.op)));
    if (dm_only && r.origin == Origin::bootstrap)
        return refuse(code::method_not_allowed, fmt::format("the Bootstrap interface has no {} (TS 1.1 §5.2)", operation_name(r.op)));
    switch (r.op) {
        case Operation::read: return read(r);
        case Operation::write_replace:
        case Operation::write_partial:
        case Operation::bootstrap_write: return write(r);
        case Operation::execute: {
            if (r.path.depth != 3)
                return refuse(exists(r.path) ? code::method_not_allowed : code::not_found, fmt::format("Execute on {}: a resource only", to_string(r.path)));
            const auto x = model_.execute(model_path(r.path), r.origin);
            Response out;
            out.code = code_of(x.outcome);
            out.action = x.action;
            if (x.outcome == cm::Outcome::changed) out.arguments = r.payload;
            else out.diagnostic = fmt::format("{} is not executable", to_string(r.path));
            return out;
        }
        case Operation::discover: return discover(r);
        case Operation::write_attributes: return write_attributes(r);
        case Operation::create:
            if (r.path.depth == 0 || !exists(r.path.prefix(1))) return refuse(code::not_found, fmt::format("no object {}", to_string(r.path)));
            return refuse(code::method_not_allowed, "no CMi6110 object takes new instances (ERRATA E-97)");
        case Operation::delete_:
            if (!exists(r.path)) return refuse(code::not_found, fmt::format("no {}", to_string(r.path)));
            return refuse(code::method_not_allowed, "the CMi6110's object instances are fixed (ERRATA E-97)");
        case Operation::bootstrap_delete:
            if (r.path.depth > 2 || !exists(r.path))
                return refuse(code::bad_request, fmt::format("Bootstrap-Delete of {}: \"/\", an object or an instance", to_string(r.path)));
            return Response{code::deleted, std::nullopt, {}, cm::Action::none, {}, {}};
        case Operation::bootstrap_discover: return bootstrap_discover(r);
    }
    return refuse(code::bad_request, "unknown operation");
}

Response ClientObjects::read(const Request& r) const {
    const std::uint16_t format = r.accept.value_or(content_format::tlv);
    if (!value_format(format)) return refuse(code::not_acceptable, fmt::format("Accept {} is not a value format", format));
    if (r.path.depth == 0) return refuse(code::method_not_allowed, "Read of the root");
    if (!exists(r.path)) return refuse(code::not_found, fmt::format("no {}", to_string(r.path)));
    std::vector<Entry> entries;
    if (r.path.depth >= 3) {
        const auto res = model_.read(model_path(r.path), r.origin);
        if (res.outcome != cm::Outcome::content) return refuse(code_of(res.outcome), fmt::format("{} is not readable or has no value", to_string(r.path)));
        const auto* s = cm::find_resource(r.path.object_id(), r.path.instance_id(), r.path.resource_id());
        entries.push_back(Entry{s->multiple && r.path.depth == 3 ? r.path.child(0) : r.path, res.value});
    } else {
        std::vector<Path> instances;
        if (r.path.depth == 2) instances.push_back(r.path);
        else
            for (const auto& p : object_instances())
                if (p.object_id() == r.path.object_id()) instances.push_back(p);
        for (const auto& ip : instances)
            for (const auto* s : rows_of(ip.object_id(), ip.instance_id())) {
                const auto res = model_.read(cm::Path{ip.object_id(), ip.instance_id(), s->resource, std::nullopt}, r.origin);
                if (res.outcome != cm::Outcome::content) continue;  // not readable, secret or no value
                const auto rp = ip.child(s->resource);
                entries.push_back(Entry{s->multiple ? rp.child(0) : rp, res.value});
            }
    }
    Response out;
    Error e;
    if (!encode_content(format, r.path, entries, out.payload, e)) return refuse(code::not_acceptable, e.message());
    out.code = code::content;
    out.content_format = format;
    return out;
}

Response ClientObjects::write(const Request& r) {
    const bool bs = r.origin == Origin::bootstrap;
    const Code not_there = bs ? code::bad_request : code::not_found;
    if (!r.content_format || !value_format(*r.content_format))
        return refuse(code::unsupported_content_format, r.content_format ? fmt::format("Content-Format {} is not read here", *r.content_format) : "no Content-Format");
    if (r.path.depth == 0) return refuse(bs ? code::bad_request : code::method_not_allowed, "Write to the root");
    if (r.path.depth == 1 && !bs) return refuse(code::method_not_allowed, "Write to an object: the Bootstrap-Server only");
    if (!exists(r.path)) return refuse(not_there, fmt::format("no {}", to_string(r.path)));
    std::vector<Entry> entries;
    Error e;
    if (!decode_content(*r.content_format, r.path, r.payload, &ClientObjects::type_of, entries, e)) {
        switch (e.code) {
            case ErrorCode::unknown_resource: return refuse(not_there, e.message());
            case ErrorCode::unsupported_format:
            case ErrorCode::not_representable: return refuse(code::unsupported_content_format, e.message());
            default: return refuse(code::bad_request, e.message());
        }
    }
    // all or nothing (ERRATA E-96): the writes go to a copy that replaces the model on success
    cm::DeviceConfig next = model_;
    for (const auto& en : entries) {
        const auto o = next.write(model_path(en.path), en.value, r.origin);
        if (o != cm::Outcome::changed) return refuse(code_of(o), fmt::format("{} refused: {}", to_string(en.path), cm::coap_code(o)));
    }
    model_ = std::move(next);
    return Response{code::changed, std::nullopt, {}, cm::Action::none, {}, {}};
}

Response ClientObjects::discover(const Request& r) const {
    if (r.accept && *r.accept != content_format::link) return refuse(code::not_acceptable, "Discover answers in link format (40)");
    if (r.path.depth == 0) return refuse(code::method_not_allowed, "Discover of the root (TS 1.1 §5.4.2: object, instance or resource)");
    if (r.path.depth == 4 || !exists(r.path)) return refuse(code::not_found, fmt::format("no {}", to_string(r.path)));
    std::vector<Link> links;
    auto dim = [](const cm::ResourceSpec* s, std::vector<LinkParam>& ps) {
        if (s->multiple) ps.insert(ps.begin(), LinkParam{"dim", "1", false});  // the model holds instance 0 (Table 1)
    };
    if (r.path.depth == 3) {
        const auto* s = cm::find_resource(r.path.object_id(), r.path.instance_id(), r.path.resource_id());
        auto ps = link_params(effective_attributes(r.path));
        dim(s, ps);
        links.push_back(Link{to_string(r.path), std::move(ps), 0});
    } else {
        links.push_back(Link{to_string(r.path), link_params(attributes(r.path)), 0});
        std::vector<Path> instances;
        if (r.path.depth == 2) instances.push_back(r.path);
        else
            for (const auto& p : object_instances())
                if (p.object_id() == r.path.object_id()) instances.push_back(p);
        for (const auto& ip : instances) {
            if (r.path.depth == 1) links.push_back(Link{to_string(ip), link_params(attributes(ip)), 0});
            for (const auto* s : rows_of(ip.object_id(), ip.instance_id())) {
                const auto rp = ip.child(s->resource);
                auto ps = link_params(attributes(rp));
                dim(s, ps);
                links.push_back(Link{to_string(rp), std::move(ps), 0});
            }
        }
    }
    const auto text = format_links(links);
    return Response{code::content, content_format::link, Bytes(text.begin(), text.end()), cm::Action::none, {}, {}};
}

Response ClientObjects::bootstrap_discover(const Request& r) const {
    if (r.accept && *r.accept != content_format::link) return refuse(code::not_acceptable, "Bootstrap-Discover answers in link format (40)");
    if (r.path.depth > 1) return refuse(code::bad_request, "Bootstrap-Discover of \"/\" or an object (TS 1.1 §5.2.7)");
    if (!exists(r.path)) return refuse(code::bad_request, fmt::format("no {}", to_string(r.path)));
    std::vector<Link> links;
    if (r.path.depth == 0) links.push_back(Link{"/", {{"lwm2m", "1.1", false}}, 0});
    auto int_value = [&](std::uint16_t o, std::uint16_t i, std::uint16_t res) -> std::optional<std::int64_t> {
        const auto v = model_.read(cm::Path{o, i, res, std::nullopt}, Origin::bootstrap);
        if (v.outcome != cm::Outcome::content) return std::nullopt;
        if (const auto* x = std::get_if<std::int64_t>(&v.value)) return *x;
        if (const auto* b = std::get_if<bool>(&v.value)) return *b ? 1 : 0;
        return std::nullopt;
    };
    for (const auto& ip : object_instances()) {
        if (!r.path.contains(ip)) continue;
        Link l{to_string(ip), {}, 0};
        const auto o = ip.object_id(), i = ip.instance_id();
        if (o == 0 && int_value(0, i, 1).value_or(0) == 0) {  // a DM server's Security instance (0/x/1 false)
            if (const auto ssid = int_value(0, i, 10)) l.params.push_back({"ssid", std::to_string(*ssid), false});
            const auto uri = model_.read(cm::Path{0, i, 0, std::nullopt}, Origin::bootstrap);
            if (uri.outcome == cm::Outcome::content)
                if (const auto* s = std::get_if<std::string>(&uri.value)) l.params.push_back({"uri", *s, true});
        } else if (o == 1) {
            if (const auto ssid = int_value(1, i, 0)) l.params.push_back({"ssid", std::to_string(*ssid), false});
        }
        links.push_back(std::move(l));
    }
    const auto text = format_links(links);
    return Response{code::content, content_format::link, Bytes(text.begin(), text.end()), cm::Action::none, {}, {}};
}

Response ClientObjects::write_attributes(const Request& r) {
    if (r.path.depth == 0) return refuse(code::method_not_allowed, "Write-Attributes on the root");
    if (!exists(r.path)) return refuse(code::not_found, fmt::format("no {}", to_string(r.path)));
    bool is_numeric = false;
    if (r.path.depth >= 3)
        if (const auto* s = cm::find_resource(r.path.object_id(), r.path.instance_id(), r.path.resource_id())) is_numeric = numeric(s->type);
    Attributes a = attributes(r.path);
    Error e;
    if (!lwm2m::write_attributes(r.query, r.path, is_numeric, a, e)) return refuse(code::bad_request, e.message());
    if (a.empty()) attributes_.erase(r.path);
    else attributes_[r.path] = a;
    return Response{code::changed, std::nullopt, {}, cm::Action::none, {}, {}};
}

}  // namespace metercert::lwm2m
