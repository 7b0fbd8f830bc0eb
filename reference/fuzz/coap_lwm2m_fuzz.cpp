// libFuzzer target (run by ci/fuzz): arbitrary bytes as one CoAP datagram (RFC 7252 §3 over UDP),
// parsed by libcoap's own parser (coap_pdu_parse, Debian libcoap3 4.3.1), mapped as the suite's
// peers map a CoAP message onto the pure LwM2M layer (reference/lwm2m):
//  - a request (code class 0) → the reference client's mapping (rigs/lwm2m/client.cpp serve(): GET
//    → Read / Discover (Accept 40) / Bootstrap-Discover, PUT → Write-Replace / Write-Attributes
//    (Uri-Query) / Bootstrap-Write, POST → Write-Partial (instance) / Execute (resource) / Create
//    (object) / Bootstrap-Write, DELETE → Delete / Bootstrap-Delete, POST /bs → Bootstrap-Finish)
//    and answered by ClientObjects(DeviceConfig&).handle(Request); the origin is the
//    Bootstrap-Server when the token's first byte is odd, else the DM server;
//    the same request as the suite's DM server sees it (rigs/lwm2m/server.cpp): POST /rd → the
//    Register query and link-format payload, POST /rd/<id> → the Update query (and payload);
//  - a response (class 2…5) → the suite's DM server's decode of a client's answer (server.cpp
//    decode()): Content-Format 40 → parse_links, a value format → decode_content at the path the
//    first token byte picks (kPaths), with the CMi6110 model's types.
// Options are read as rigs/coap reads them (Content-Format and Accept: coap_decode_var_bytes of at
// most 2 bytes: coap_pdu_parse already refuses a longer one, "option 12 has bad length 3").
// Properties (abort otherwise):
//  - libcoap parses or refuses; nothing crashes, reads out of bounds or hits UB (ASan + UBSan);
//  - handle() answers every request with a 2.xx or 4.xx code and never throws; a 2.05 Read answer in
//    a value format decodes again with decode_content at the same path (what the suite's server
//    does with it), and a 2.05 Discover answer parses as link format;
//  - every decoder's refusal has an offset within its input.
#include <coap3/coap.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metercert/lwm2m/content.hpp"
#include "metercert/lwm2m/links.hpp"
#include "metercert/lwm2m/operations.hpp"

using namespace metercert::lwm2m;

namespace {

struct Message {
    std::uint8_t code = 0;
    std::vector<std::string> path, query;
    std::optional<std::uint16_t> content_format, accept;
    std::optional<std::uint32_t> observe;
    std::uint8_t token0 = 0;
    Bytes payload;
};

const Path kPaths[] = {Path::object(0), Path::instance(0, 1), Path::instance(33906, 0), Path::resource(33906, 0, 0),
                       Path::resource(3, 0, 13), Path::resource(4, 0, 1), Path::resource_instance(4, 0, 1, 0), Path::instance(3, 0)};

// a 16-bit Content-Format / Accept (RFC 7252 §5.10: uint of 0-2 bytes; libcoap refuses longer ones)
std::optional<std::uint16_t> format_option(const std::uint8_t* v, std::size_t len) {
    if (len > 2) return std::nullopt;
    return static_cast<std::uint16_t>(coap_decode_var_bytes(v, len));
}

bool parse(const std::uint8_t* data, std::size_t size, Message& m) {
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, size);
    if (!pdu) return false;
    const bool ok = coap_pdu_parse(COAP_PROTO_UDP, data, size, pdu) != 0;
    if (ok) {
        m.code = static_cast<std::uint8_t>(coap_pdu_get_code(pdu));
        const coap_bin_const_t tok = coap_pdu_get_token(pdu);
        if (tok.length > 0) m.token0 = tok.s[0];
        coap_opt_iterator_t it;
        coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
        while (coap_opt_t* o = coap_option_next(&it)) {
            const auto* v = coap_opt_value(o);
            const std::size_t len = coap_opt_length(o);
            switch (it.number) {
                case COAP_OPTION_URI_PATH: m.path.emplace_back(reinterpret_cast<const char*>(v), len); break;
                case COAP_OPTION_URI_QUERY: m.query.emplace_back(reinterpret_cast<const char*>(v), len); break;
                case COAP_OPTION_CONTENT_FORMAT: m.content_format = format_option(v, len); break;
                case COAP_OPTION_ACCEPT: m.accept = format_option(v, len); break;
                case COAP_OPTION_OBSERVE: m.observe = coap_decode_var_bytes(v, len); break;
                default: break;
            }
        }
        std::size_t n = 0;
        const std::uint8_t* d = nullptr;
        if (coap_get_data(pdu, &n, &d) && n) m.payload.assign(d, d + n);
    }
    coap_delete_pdu(pdu);
    return ok;
}

std::string join(const std::vector<std::string>& segs) {
    std::string p;
    for (const auto& s : segs) p += "/" + s;
    return p.empty() ? "/" : p;
}

void check_offset(const Error& e, std::size_t size) {
    if (e.offset > size) std::abort();
}

// the reference client's side
void client_side(const Message& m) {
    const bool bs = (m.token0 & 1) != 0;
    if (bs && m.code == COAP_REQUEST_CODE_POST && m.path == std::vector<std::string>{"bs"}) return;  // Bootstrap-Finish
    const auto p = parse_path(join(m.path));
    if (!p) return;  // 4.04 "not an LwM2M path"
    Request r;
    r.path = *p;
    r.origin = bs ? Origin::bootstrap : Origin::dm;
    r.content_format = m.content_format;
    r.accept = m.accept;
    r.payload = m.payload;
    r.query = m.query;
    switch (m.code) {
        case COAP_REQUEST_CODE_GET:
            r.op = m.accept == content_format::link ? (bs ? Operation::bootstrap_discover : Operation::discover) : Operation::read;
            break;
        case COAP_REQUEST_CODE_PUT:
            r.op = bs ? Operation::bootstrap_write : !m.query.empty() ? Operation::write_attributes : Operation::write_replace;
            break;
        case COAP_REQUEST_CODE_POST:
            r.op = p->depth == 3 ? Operation::execute : p->depth == 2 ? Operation::write_partial : Operation::create;
            if (bs && p->depth != 3) r.op = Operation::bootstrap_write;
            break;
        case COAP_REQUEST_CODE_DELETE: r.op = bs ? Operation::bootstrap_delete : Operation::delete_; break;
        default: return;  // 4.05
    }
    metercert::devices::cmi6110::DeviceConfig model;
    ClientObjects objects(model);
    const Response out = objects.handle(r);
    if (out.code.cls != 2 && out.code.cls != 4) std::abort();
    if (out.code == code::content && out.content_format) {
        Error e;
        if (r.op == Operation::read && value_format(*out.content_format)) {
            std::vector<Entry> got;
            if (!decode_content(*out.content_format, r.path, out.payload, &ClientObjects::type_of, got, e)) std::abort();
        } else if (*out.content_format == content_format::link) {
            std::vector<Link> links;
            if (!parse_links(std::string(out.payload.begin(), out.payload.end()), links, e)) std::abort();
        }
    }
    // a second read after a successful write: the model answers it
    if (out.code == code::changed && r.op != Operation::execute) {
        Request rd;
        rd.path = r.path;
        rd.accept = m.accept;
        const Response again = objects.handle(rd);
        if (again.code.cls != 2 && again.code.cls != 4) std::abort();
    }
}

// the suite's DM server's side
void server_side(const Message& m) {
    Error e;
    const std::string text(m.payload.begin(), m.payload.end());
    if (m.code == COAP_REQUEST_CODE_POST && !m.path.empty() && m.path[0] == "rd") {
        const bool update = m.path.size() > 1;
        RegisterQuery q;
        if (!parse_register_query(m.query, update, q, e)) check_offset(e, m.query.size());  // offset: the option's index
        std::vector<Path> objs;
        if (!parse_register_payload(text, objs, e)) check_offset(e, text.size());
        return;
    }
    if (m.code >> 5 < 2 || !m.content_format) return;  // not a response with a payload format
    if (*m.content_format == content_format::link) {
        std::vector<Link> links;
        if (!parse_links(text, links, e)) check_offset(e, text.size());
    } else if (value_format(*m.content_format)) {
        std::vector<Entry> got;
        if (!decode_content(*m.content_format, kPaths[m.token0 % 8], m.payload, &ClientObjects::type_of, got, e))
            check_offset(e, m.payload.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    coap_startup();
    coap_set_log_level(LOG_EMERG);  // libcoap's warnings on malformed datagrams: not the finding
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Message m;
    if (!parse(data, size, m)) return 0;
    if (m.code >> 5 == 0) client_side(m);
    server_side(m);
    return 0;
}
