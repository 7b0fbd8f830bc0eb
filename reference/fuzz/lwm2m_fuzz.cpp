// libFuzzer target (run by ci/fuzz): the parsers of the LwM2M layer (reference/lwm2m/) — TLV
// (TS 1.1 §7.4.3), SenML-JSON / SenML-CBOR / text with LwM2M naming (§7.4.1, §7.4.4, §7.4.5), CoRE
// link format (RFC 6690), the Register query (§5.3.1) and Write-Attributes (§5.4.4) — and the
// operation layer over the CMi6110 model fed the same bytes as a Write payload.
// The first input byte picks the parser (its value mod 8), the second the request path and format
// (format: value mod 5, path: value / 5 mod 8, origin Bootstrap-Server: bit 7); the rest is the input.
// Properties:
//  - no parser throws, crashes or reads out of bounds; a refusal's offset lies within the input
//    (byte offsets: ≤ its size; SenML-JSON value errors count records, also ≤ the size);
//  - an accepted TLV re-encodes (encode_tlv) to bytes that decode to the same tree;
//  - accepted content re-encodes in the same format at the same path to bytes that decode to the
//    same entries (in path order; NaN equal to NaN);
//  - accepted link text re-formats to text that parses to the same links;
//  - ClientObjects::handle answers every Write with a 2.xx/4.xx code and never throws.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "metercert/lwm2m/attributes.hpp"
#include "metercert/lwm2m/content.hpp"
#include "metercert/lwm2m/links.hpp"
#include "metercert/lwm2m/operations.hpp"
#include "metercert/lwm2m/tlv.hpp"

using namespace metercert::lwm2m;

namespace {

bool same_tree(const std::vector<Tlv>& a, const std::vector<Tlv>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (a[k].kind != b[k].kind || a[k].id != b[k].id || a[k].value != b[k].value || !same_tree(a[k].children, b[k].children)) return false;
    return true;
}

bool same_value(const Value& a, const Value& b) {
    const auto* x = std::get_if<double>(&a);
    const auto* y = std::get_if<double>(&b);
    if (x && y && std::isnan(*x)) return std::isnan(*y);
    return a == b;
}

// the same entries in any order (TLV groups by instance and resource when it encodes)
bool same_entries(std::vector<Entry> a, std::vector<Entry> b) {
    if (a.size() != b.size()) return false;
    auto by_path = [](const Entry& x, const Entry& y) { return x.path < y.path; };
    std::sort(a.begin(), a.end(), by_path);
    std::sort(b.begin(), b.end(), by_path);
    for (std::size_t k = 0; k < a.size(); ++k)
        if (!(a[k].path == b[k].path) || !same_value(a[k].value, b[k].value)) return false;
    return true;
}

void check_offset(const Error& e, std::size_t size) {
    if (e.offset > size) std::abort();
}

const Path kPaths[] = {Path::object(0), Path::instance(0, 1), Path::instance(33906, 0), Path::resource(33906, 0, 0),
                       Path::resource(3, 0, 13), Path::resource(4, 0, 1), Path::resource_instance(4, 0, 1, 0), Path::instance(3, 0)};
const std::uint16_t kFormats[] = {content_format::tlv, content_format::senml_json, content_format::senml_cbor, content_format::text,
                                  content_format::opaque};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t sel = data[0], arg = data[1];
    const std::span<const std::uint8_t> in(data + 2, size - 2);
    const auto fmt = kFormats[arg % 5];
    const auto& path = kPaths[(arg / 5) % 8];
    const std::string text(in.begin(), in.end());
    Error e;
    switch (sel % 8) {
        case 0: {
            std::vector<Tlv> t, back;
            if (!decode_tlv(in, t, e)) {
                check_offset(e, in.size());
                break;
            }
            const auto again = encode_tlv(t);
            if (!decode_tlv(again, back, e) || !same_tree(t, back)) std::abort();
            break;
        }
        case 1:
        case 2:
        case 3: {
            std::vector<Entry> got, back;
            if (!decode_content(fmt, path, in, &ClientObjects::type_of, got, e)) {
                check_offset(e, in.size());
                break;
            }
            Bytes out;
            if (!encode_content(fmt, path, got, out, e)) {
                // only text/SenML can hold what they read; a String that is not UTF-8 was refused on the way in
                std::abort();
            }
            if (!decode_content(fmt, path, out, &ClientObjects::type_of, back, e) || !same_entries(got, back)) std::abort();
            break;
        }
        case 4: {
            std::vector<Link> l, back;
            if (!parse_links(text, l, e)) {
                check_offset(e, in.size());
                break;
            }
            if (!parse_links(format_links(l), back, e) || back.size() != l.size()) std::abort();
            for (std::size_t k = 0; k < l.size(); ++k) {
                if (l[k].target != back[k].target || l[k].params.size() != back[k].params.size()) std::abort();
                for (std::size_t p = 0; p < l[k].params.size(); ++p)
                    if (l[k].params[p].name != back[k].params[p].name || l[k].params[p].value != back[k].params[p].value) std::abort();
            }
            std::vector<Path> objs;
            (void)parse_register_payload(text, objs, e);
            break;
        }
        case 5: {
            RegisterQuery q;
            const auto opts = split_query(text);
            (void)parse_register_query(opts, (arg & 0x80) != 0, q, e);
            Attributes a;
            (void)write_attributes(opts, path, (arg & 0x40) != 0, a, e);
            break;
        }
        default: {
            metercert::devices::cmi6110::DeviceConfig model;
            ClientObjects objects(model);
            const bool bs = (arg & 0x80) != 0;
            Request r;
            r.op = bs ? Operation::bootstrap_write : Operation::write_partial;
            r.origin = bs ? Origin::bootstrap : Origin::dm;
            r.path = path;
            r.content_format = fmt;
            r.payload.assign(in.begin(), in.end());
            const auto resp = objects.handle(r);
            if (resp.code.cls != 2 && resp.code.cls != 4) std::abort();
            Request rd;
            rd.path = r.path;
            rd.accept = kFormats[(sel >> 3) % 5];
            (void)objects.handle(rd);
            break;
        }
    }
    return 0;
}
