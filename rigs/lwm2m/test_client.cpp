// lwm2m_test_client: a minimal LwM2M client for the tests of the suite's DM server (rigs/lwm2m),
// built on metercert_coap's client endpoint only (no code of the servers). It registers
// (TS 1.1 §5.3.1: POST /rd?ep=&lt=&lwm2m=1.1&b=U with "</1/0>,</3/0>"), serves GET /3/0 with the
// TLV bytes given (--tlv HEX, Content-Format 11542), GET /3/0/9 as text "100", PUT/POST on
// /1/0/1 (2.04), POST /3/0/4 (execute: 2.04), /3/0 observable with a notification every
// --notify-ms, anything else 4.04; after --seconds it de-registers (DELETE /rd/<id>) and exits.
//
// With --bootstrap it is a bootstrap client instead (TS 1.1 §5.2.7, §6.1): POST /bs?ep=ENDPOINT,
// then it answers Bootstrap-Delete 2.02, Bootstrap-Write 2.04 (printing "write PATH HEX"),
// Bootstrap-Discover/Read with TLV_HEX as 2.05, and exits 0 on Bootstrap-Finish (2.04), 3 without
// one within --seconds.
//
// usage: lwm2m_test_client URI ENDPOINT TLV_HEX [--seconds N] [--notify-ms M] [--psk-id ID --psk-hex HEX] [--bootstrap 1]
// Exit 0 after de-registering, 2 when the Register was not answered 2.01.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "metercert/rigs/coap/coap.hpp"

using namespace metercert::rigs::coap;

namespace {
Bytes unhex(const std::string& h) {
    Bytes b;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    return b;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: lwm2m_test_client URI ENDPOINT TLV_HEX [--seconds N] [--notify-ms M] [--psk-id ID --psk-hex HEX]\n");
        return 1;
    }
    const std::string uri = argv[1], ep = argv[2];
    const Bytes device = unhex(argv[3]);
    int seconds = 5, notify_ms = 0;
    bool bootstrap = false;
    std::optional<Psk> psk;
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--seconds") seconds = std::stoi(v);
        else if (k == "--notify-ms") notify_ms = std::stoi(v);
        else if (k == "--bootstrap") bootstrap = v == "1";
        else if (k == "--psk-id") psk = Psk{v, psk ? psk->key : Bytes{}};
        else if (k == "--psk-hex") psk = Psk{psk ? psk->identity : std::string(), unhex(v)};
    }
    try {
        Client c(uri, psk);
        if (bootstrap) {
            bool finished = false;
            c.on_request([&](const Request& r, Session&) -> Response {
                std::string hex;
                for (auto b : r.payload) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
                std::printf("%s %s %s\n", method_name(r.method), r.path_str().c_str(), hex.c_str());
                std::fflush(stdout);
                if (r.method == Method::del) return Response(kDeleted);
                if (r.method == Method::put) return Response(kChanged);
                if (r.method == Method::get) return Response(kContent, r.accept == kLinkFormat ? kLinkFormat : kLwm2mTlv,
                                                             r.accept == kLinkFormat ? Bytes{'<', '/', '>'} : device);
                if (r.method == Method::post && r.path_str() == "/bs") {
                    finished = true;
                    return Response(kChanged);
                }
                return Response(kNotFound);
            });
            const Reply req = c.session().call(Outgoing(Method::post, "/bs", {"ep=" + ep}), Millis(10000));
            std::printf("bootstrap-request %s\n", code_name(req.response.code).c_str());
            std::fflush(stdout);
            c.run_until([&] { return finished; }, Millis(seconds * 1000));
            c.run_for(Millis(200));  // the Finish's ACK goes out
            return finished ? 0 : 3;
        }
        c.add_observable("/3/0");
        c.on_request([&](const Request& r, Session&) -> Response {
            const std::string p = r.path_str();
            if (r.method == Method::get && p == "/3/0") return Response(kContent, kLwm2mTlv, device);
            if (r.method == Method::get && p == "/3/0/9") return Response(kContent, kTextPlain, Bytes{'1', '0', '0'});
            if ((r.method == Method::put || r.method == Method::post) && p == "/1/0/1") return Response(kChanged);
            if (r.method == Method::post && p == "/3/0/4") return Response(kChanged);
            return Response(kNotFound);
        });
        const Reply reg = c.session().call(
            Outgoing(Method::post, "/rd", {"ep=" + ep, "lt=60", "lwm2m=1.1", "b=U"}, kLinkFormat, std::nullopt,
                     Bytes{'<', '/', '1', '/', '0', '>', ',', '<', '/', '3', '/', '0', '>'}),
            Millis(10000));
        if (reg.status != Reply::Status::ok || reg.response.code != kCreated || reg.response.location_path.empty()) {
            std::fprintf(stderr, "lwm2m_test_client: Register answered %s %s\n", status_name(reg.status), code_name(reg.response.code).c_str());
            return 2;
        }
        std::string loc;
        for (const auto& s : reg.response.location_path) loc += "/" + s;
        std::printf("registered %s\n", loc.c_str());
        std::fflush(stdout);
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < end) {
            c.run_for(Millis(notify_ms > 0 ? notify_ms : 100));
            if (notify_ms > 0) c.notify("/3/0");
        }
        const Reply dereg = c.session().call(Outgoing(Method::del, loc), Millis(5000));
        std::printf("deregistered %s\n", code_name(dereg.response.code).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lwm2m_test_client: %s\n", e.what());
        return 1;
    }
}
