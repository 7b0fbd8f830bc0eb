// The Connection of the bindings (master.cpp binds it, wmbus.cpp adds the wireless M-Bus
// operations): a DUT link opened by URL, its bytes tapped into memory and, when asked, a pcap file.
#pragma once

#include <memory>
#include <string>

#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/tap.hpp"

namespace metercert::bindings {

// A DUT link opened by URL, its bytes tapped into memory (and a pcap file when asked), after the
// link's own redaction stage.
struct Connection {
    rigs::MemoryTap memory;
    rigs::TeeTap tee;
    std::unique_ptr<rigs::PcapWriter> pcap;
    std::unique_ptr<rigs::DutLink> link;
    Connection(const std::string& url, const std::string& pcap_path, const std::string& executable) {
        tee.add(&memory);
        rigs::LinkOptions o;
        o.tap = &tee;
        o.simulator_executable = executable;
        link = rigs::open_link(url, o);
        if (!pcap_path.empty()) {  // one link kind per capture: a receiver's telegrams are wmbus (148)
            const bool wmbus = link->has(rigs::cap::wmbus_receive) && !link->has(rigs::cap::mbus_request);
            pcap = std::make_unique<rigs::PcapWriter>(pcap_path, wmbus ? rigs::LinkKind::wmbus : rigs::LinkKind::mbus);
            tee.add(pcap.get());
        }
    }
    master::BusPort& port(const char* what) { return link->require_mbus_request(what); }
    rigs::SimCmi1020& sim(const char* what) { return link->require_sim_cmi1020(what); }
};

}  // namespace metercert::bindings
