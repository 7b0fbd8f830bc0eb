// libFuzzer target (run by ci/fuzz): MQTT-SN 1.2 datagrams (metercert/mqttsn/packet.hpp) fed to
// the decoder, the suite's gateway and the CMi6110 client (gateway.hpp, client.hpp).
// Properties:
//  - try_decode never throws, crashes or reads out of bounds; a refusal's offset lies inside the
//    datagram or at its end;
//  - an accepted message re-encodes (encode) to a datagram that decodes to the same message, and
//    describe() works on it;
//  - the input split into datagrams (each: one length octet, one peer octet, the octets) and fed
//    to one gateway from a few peers on an advancing clock never crashes; every reply the gateway
//    sends decodes; every uplink is recorded and every violation points at a recorded uplink;
//  - the same datagrams fed to a client that is uploading never crash it, and everything it sends
//    decodes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "metercert/mqttsn/client.hpp"
#include "metercert/mqttsn/gateway.hpp"
#include "metercert/mqttsn/packet.hpp"

using namespace metercert;
using namespace metercert::mqttsn;

namespace {

void must_decode(const Bytes& b) {
    if (!std::holds_alternative<Decoded>(try_decode(b))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);

    // the whole input as one datagram
    auto r = try_decode(in);
    if (const auto* e = std::get_if<DecodeError>(&r)) {
        if (e->offset > size) std::abort();
        (void)e->message();
    } else {
        const auto& d = std::get<Decoded>(r);
        (void)describe(d.message);
        Bytes again;
        try {
            again = encode(d.message);
        } catch (const EncodeError&) {
            std::abort();  // whatever decodes can be written again
        }
        auto r2 = try_decode(again);
        if (!std::holds_alternative<Decoded>(r2) || !(std::get<Decoded>(r2).message == d.message)) std::abort();
    }

    // the input as a sequence of datagrams to a gateway and to a client
    Gateway g;
    ClientConfig k;
    k.topic = "m/1";
    k.connection = (size & 1) ? ConnectionConfig::compliant : ConnectionConfig::optimized;
    Client c(k);
    TimePoint now{};
    c.publish(Bytes{1, 2, 3}, now);
    for (const auto& d : c.poll(now).send) must_decode(d.bytes);
    std::size_t i = 0;
    while (i + 2 <= size) {
        const std::size_t n = data[i];
        const std::string peer = "peer" + std::to_string(data[i + 1] % 3);
        i += 2;
        const auto dg = in.subspan(i, std::min(n, size - i));
        i += dg.size();
        now += std::chrono::seconds(data[i - 1 - dg.size()] % 64);
        for (const auto& reply : g.on_datagram(peer, dg, now)) must_decode(reply);
        c.on_datagram(dg, now);
        const auto p = c.poll(now);
        for (const auto& d : p.send) must_decode(d.bytes);
        if (p.wake_at && *p.wake_at < now) std::abort();
        (void)c.take_events();
        (void)g.poll(now);
    }
    for (const auto& f : g.findings())
        if (f.uplink >= g.uplinks().size() && !g.uplinks().empty()) std::abort();
    return 0;
}
