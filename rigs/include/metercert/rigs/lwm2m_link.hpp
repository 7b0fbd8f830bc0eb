// coap.server (capabilities.hpp): where the suite's LwM2M servers listen for a CMi6110 and how the
// module authenticates — what the lwm2m:// link and sim:cmi6110?network=1 give the cases
// (CMi6110 manual §6.2-§6.3 Table 1 objects 0/1; OMA LwM2M TS 1.1 §6.1-§6.2; Transport §5.2 DTLS
// 1.2 PSK). The servers themselves are metercert._core.Lwm2mServers (rigs/lwm2m/server.hpp),
// started by the profile (conformance/cmi6110/network.py) on these settings: the suite listens,
// the module connects.
//
//   lwm2m://HOST:PORT?endpoint=NAME&psk_id=ID&psk=HEX&bootstrap=1   a module the lab points at us
//       &gateway=GWHOST:GWPORT   the address written into 33905/0/0 for the uplinks (MQTT-SN)
//   sim:cmi6110?network=1&…                                         the reference client, started
//                                         by the profile against servers on 127.0.0.1 (free ports)
//
// The PSK is a secret: only redact_url()'s form of a URL is ever shown, and these fields are
// handed to the servers (and, for the reference client, to its process's --psk), never printed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace metercert::rigs {

class Lwm2mListen {
public:
    // HOST:PORT the suite's first server listens on (the Bootstrap-Server with `bootstrap`, else
    // the DM server); port 0: any free port (the reference client is told the one chosen).
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string endpoint;                // the LwM2M Endpoint Client Name (ep) the module registers with
    std::optional<std::string> psk_id;   // DTLS-PSK identity; nullopt: NoSec (Table 1 allows both)
    std::vector<std::uint8_t> psk;       // the key (1…64 bytes); a secret
    bool bootstrap = false;              // the module starts at the Bootstrap-Server (int-0)
    // sim:cmi6110?network=1: the profile starts `metercert simulate cmi6110 --server …` (with
    // bootstrap: `--bootstrap …`) itself,
    // with these settings (a real module connects by itself: false)
    bool reference_client = false;
    std::string client_fault = "none";   // its network fault (kNetworkFaults), "none"
    std::uint32_t client_lifetime_s = 0; // its registration lifetime (--lifetime), 0: its default
    // lwm2m://…&gateway=HOST:PORT: the address the module reaches the suite's MQTT-SN gateway at, which
    // the uplink cases write into 33905/0/0 ("mqttsn://HOST:PORT", ERRATA E-133): needed when the
    // link listens on a wildcard (0.0.0.0, ::) or behind NAT. The gateway listens on the link's host
    // at gateway_port (0: a free port, and that port is written). Empty host: not given.
    std::string gateway_host;
    std::uint16_t gateway_port = 0;
    // locked=1 (§7.2, §7.5 Table 8 Configuration Lock = Locked): sim:cmi6110?network=1's reference
    // client locks itself through its NFC path at start (simulate cmi6110 --nfc-lock); on lwm2m://
    // the lab says it locked the module through NFC (the suite cannot: ERRATA E-164). The cases
    // expect 33906/0/5 "NFC Config-locked" to read this.
    bool locked = false;
};

}  // namespace metercert::rigs
