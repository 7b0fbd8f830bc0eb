// Capabilities: what a DUT link (dut_link.hpp) or a rig can do, as stable names (labgrid's
// "features"). A case declares the capabilities it needs (metercert.conformance.case(needs=…));
// the run skips it, with these words, when neither the DUT link nor the rig offers one of them.
// Each link capability has one interface a caller asks the link for (DutLink: mbus_request(),
// mbus_line(), sim_cmi1020(), simulator(), wmbus_receive(), sim_cmi1020w(), cmi6110_uplinks(),
// sim_cmi6110(), lwm2m_listen()); rig capabilities come from --rig FILE (labgrid protocols through relays:
// PowerProtocol for the supply, DigitalOutputProtocol for the rate inputs and the button;
// metercert.rig).
//
// A name is <area>.<what> or one word; it never changes once a case uses it. Reserved names have
// no provider yet: a case may declare them (it is then skipped with the reason) and the issue
// that adds the provider adds nothing here but the provider.
#pragma once

#include <span>
#include <string_view>

namespace metercert::rigs {

enum class CapabilitySource { link, rig };

struct CapabilityInfo {
    std::string_view name;
    std::string_view words;  // what it is, in words a skip reason can say: "needs <name>: <words>"
    CapabilitySource source;
    bool reserved;           // no link or rig offers it yet
};

inline constexpr CapabilityInfo kCapabilities[] = {
    {"mbus.request",
     "a request/reply M-Bus: the master's frames reach the device and its replies come back (the master's BusPort)",
     CapabilitySource::link, false},
    {"mbus.line",
     "the M-Bus line itself, whose rate the master sets and whose timing it sees: a serial:// UART or sim:cmi1020 "
     "(a TCP gateway or a pseudo-terminal hides both)",
     CapabilitySource::link, false},
    {"sim.cmi1020",
     "metercert's built-in CMi1020 simulator (sim:cmi1020): its slaves and their E350 meter models, power cycles, "
     "rate inputs and fault injection",
     CapabilitySource::link, false},
    {"sim.cme3000",
     "metercert's reference CMe3000 simulator (sim:cme3000, `simulate cme3000`): its statistics of Figures 6 and 9",
     CapabilitySource::link, false},
    {"sim.cme3100",
     "metercert's reference CMe3100 simulator (sim:cme3100, `simulate cme3100`), started for each case with the "
     "meters, lists and files the case gives it",
     CapabilitySource::link, false},
    {"wmbus.receive",
     "a source of received wireless M-Bus telegrams with their receive times (a receiver stick, a capture: wmbus+hex:, "
     "or sim:cmi1020w)",
     CapabilitySource::link, false},
    {"sim.cmi1020w",
     "metercert's built-in CMi1020W simulator (sim:cmi1020w): its E350 meter model, power-up, rate inputs, tariff "
     "failure and fault injection, on a simulated clock",
     CapabilitySource::link, false},
    {"cmi6110.uplinks",
     "the uplinks a CMi6110 sent (transmit or receive time UTC, encoding, payload) with the module's §7.5 "
     "configuration: a capture (cmi6110+uplinks:FILE) or the built-in module (sim:cmi6110)",
     CapabilitySource::link, false},
    {"sim.cmi6110",
     "metercert's built-in CMi6110 (sim:cmi6110): its UH50 meter model (exact values) and further runs of the module "
     "with other settings (the same readout in all three encodings, the manual's examples)",
     CapabilitySource::link, false},
    // reserved for the links of the next issues
    {"datagram", "datagrams to and from the device (UDP, DTLS)", CapabilitySource::link, true},
    {"coap.server",
     "the suite's LwM2M servers (Bootstrap, DM over CoAP/DTLS-PSK) that the CMi6110 connects to: lwm2m://HOST:PORT?"
     "endpoint=…, or sim:cmi6110?network=1 (the reference client started against them on loopback)",
     CapabilitySource::link, false},
    // the rig's (--rig FILE, bindings/metercert/rig): relays in front of the device, roles of a labgrid
    // environment file; a simulated DUT may take the same calls itself (pytest_metercert_simulated_rig)
    {"power", "switching the device's supply through the rig (a labgrid PowerProtocol driver as the rig file's "
              "power role: --rig FILE)", CapabilitySource::rig, false},
    {"rate_inputs", "driving the device's 230 VAC rate inputs A and B through the rig's relays (labgrid "
                    "DigitalOutputProtocol drivers as rate_input_a/rate_input_b: --rig FILE)", CapabilitySource::rig, false},
    {"button", "pressing the device's button through a relay of the rig (a DigitalOutputProtocol driver as the rig "
               "file's button role: --rig FILE)", CapabilitySource::rig, false},
    {"meter.probe", "an IEC 62056-21 optical probe on the meter reading it before and after the DUT (the rig file's "
                    "probe role, a labgrid serial port: --rig FILE; or the built-in simulator's meter)",
     CapabilitySource::rig, false},
    {"led", "reading one of the device's LEDs through an input of the rig (a labgrid DigitalOutputProtocol driver read "
            "with get() as the rig file's led role, led_colour naming the LED: --rig FILE; or the built-in simulator's LED)",
     CapabilitySource::rig, false},
};

constexpr std::span<const CapabilityInfo> capabilities() noexcept { return kCapabilities; }

// The capability named `name`; nullptr when there is none.
constexpr const CapabilityInfo* find_capability(std::string_view name) noexcept {
    for (const auto& c : kCapabilities)
        if (c.name == name) return &c;
    return nullptr;
}

namespace cap {
inline constexpr std::string_view mbus_request = "mbus.request";
inline constexpr std::string_view mbus_line = "mbus.line";
inline constexpr std::string_view sim_cmi1020 = "sim.cmi1020";
inline constexpr std::string_view sim_cme3000 = "sim.cme3000";
inline constexpr std::string_view sim_cme3100 = "sim.cme3100";
inline constexpr std::string_view wmbus_receive = "wmbus.receive";
inline constexpr std::string_view sim_cmi1020w = "sim.cmi1020w";
inline constexpr std::string_view cmi6110_uplinks = "cmi6110.uplinks";
inline constexpr std::string_view sim_cmi6110 = "sim.cmi6110";
inline constexpr std::string_view coap_server = "coap.server";
}  // namespace cap

}  // namespace metercert::rigs
