// DUT links (metercert DESIGN "Transports, simulators, rigs"): one URL names how to reach a
// device under test; opening it gives a DutLink, which states what it can do as capability names
// (capabilities.hpp) and offers the interface of each — labgrid's resource → driver → protocol,
// with the capability as the protocol's name. Cases never look at the URL: they declare the
// capabilities they need and use the interfaces.
//
// One file per URL scheme (rigs/links/*.cpp) registers itself here with its form, its parameters
// and the capabilities it offers; the registry gives the scheme list for error messages and
// --help. Today:
//
//   sim:cmi1020?count=3&…   in-process reference CMi1020 slaves        mbus.request mbus.line sim.cmi1020
//   sim:cme3000?count=N     the reference CMe3000 as a process         mbus.request sim.cme3000
//   sim:cme3100?fault=NAME  the reference CMe3100 as a process         mbus.request sim.cme3100
//   sim:cmi6110?days=N&…    the reference CMi6110 in process, simulated time   cmi6110.uplinks sim.cmi6110
//   cmi6110+uplinks:FILE    a CMi6110's captured uplinks (JSON lines)  cmi6110.uplinks
//   tcp://HOST:PORT         a transparent gateway or a simulator       mbus.request
//   tcp-listen://HOST:PORT  a device that connects to us               mbus.request
//   serial:///dev/ttyUSB0   a level converter / UART, 8E1              mbus.request mbus.line (not on a pty)
//   sim:cmi1020w?key=HEX    an in-process CMi1020W and its E350         wmbus.receive sim.cmi1020w
//   wmbus+hex:FILE?key=HEX  captured wireless M-Bus telegrams, hex      wmbus.receive
//   lwm2m://HOST:PORT?endpoint=NAME&psk_id=ID&psk=HEX&bootstrap=1
//                           a CMi6110 that connects to the suite's LwM2M servers   coap.server
//   sim:cmi6110?network=1&… also: the reference LwM2M client against those servers  coap.server
//
// Secrets in URLs (key=, password=, psk=: is_secret_param) are never shown: every message,
// description and url() of a link carries redact_url()'s form of the URL ("key=<redacted>").
//
// Each link puts the redaction stage of its link kind (tap.hpp) in front of the caller's tap: the
// caller's tap never sees a secret.
//
// Errors: DutError (a usage error: unknown scheme or device, bad parameter) naming the URL and the
// part; PortError(connect_failed) when the device cannot be reached (or a simulator process does
// not start); MissingCapability when an interface is asked of a link that does not offer it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/master/port.hpp"
#include "metercert/rigs/capabilities.hpp"
#include "metercert/rigs/simulator_process.hpp"
#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

class DutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An interface asked of a link that does not offer its capability.
class MissingCapability : public DutError {
public:
    MissingCapability(const std::string& url, std::string_view capability, std::string_view what);
    std::string capability;
};

// Whether a URL parameter's value is a secret (key, password, psk): shown as "<redacted>".
bool is_secret_param(std::string_view name) noexcept;
// `url` with the value of every secret parameter replaced by "<redacted>" (the rest unchanged,
// even when it does not parse): what any message, record or report shows of a DUT URL.
std::string redact_url(std::string_view url);

struct DutUrl {
    std::string text;    // as given
    std::string scheme;  // "sim", "tcp", "tcp-listen", "serial"
    std::string target;  // sim: the device name; tcp: host:port; serial: the device path
    std::map<std::string, std::string> params;
    // The URL as it may be shown (redact_url).
    [[nodiscard]] std::string shown() const { return redact_url(text); }
    // The registry's name of the link: "sim:<device>" for sim:, else the scheme.
    [[nodiscard]] std::string link_name() const { return scheme == "sim" ? "sim:" + target : scheme; }
    // Splits scheme, target and NAME=VALUE parameters; throws DutError for a URL without a
    // registered scheme, without the scheme's "//", or with a parameter that is not NAME=VALUE.
    static DutUrl parse(const std::string& url);
};

struct LinkOptions {
    Tap* tap = nullptr;  // every burst, after the redaction stage of its link kind
    // tcp-listen: the bound port (port 0 = any), before the wait for the device
    std::function<void(std::uint16_t)> on_listening = {};
    // Process simulators (sim:cme3000, sim:cme3100): the `metercert` executable that runs
    // `simulate`; empty: $METERCERT_EXE, else this process's own executable.
    std::string simulator_executable = {};
};

// mbus.line: the wired M-Bus line itself (a UART, or the simulated bus). The master sets its rate,
// and the link's times are the line's (reply gaps in bit times at that rate) — unlike a TCP
// gateway, whose M-Bus side has a rate of its own, or a pseudo-terminal, which has no line.
class MbusLine {
public:
    virtual ~MbusLine() = default;
    [[nodiscard]] virtual unsigned line_baud() const = 0;
    virtual void set_line_baud(unsigned baud) = 0;
};

class SimCmi1020;      // sim.cmi1020: sim_cmi1020.hpp
class SimCmi1020W;     // sim.cmi1020w: sim_cmi1020w.hpp
class WmbusReceiver;   // wmbus.receive: wmbus_receiver.hpp
class Cmi6110Uplinks;  // cmi6110.uplinks: cmi6110.hpp
class SimCmi6110;      // sim.cmi6110: cmi6110.hpp
class Lwm2mListen;     // coap.server: lwm2m_link.hpp

class DutLink {
public:
    virtual ~DutLink() = default;
    DutLink(const DutLink&) = delete;
    DutLink& operator=(const DutLink&) = delete;

    // The URL as given, secrets redacted (redact_url).
    [[nodiscard]] const std::string& url() const noexcept { return url_; }
    // One line: "3 simulated CMi1020 slave(s) at 2400 baud", "TCP 10.0.0.7:10001", …
    [[nodiscard]] const std::string& description() const noexcept { return description_; }
    // The capability names this link offers, sorted.
    [[nodiscard]] const std::vector<std::string>& capabilities() const noexcept { return capabilities_; }
    [[nodiscard]] bool has(std::string_view capability) const noexcept;

    // The interface of each capability; nullptr when the link does not offer it.
    virtual master::BusPort* mbus_request() { return nullptr; }  // mbus.request
    virtual MbusLine* mbus_line() { return nullptr; }            // mbus.line
    virtual SimCmi1020* sim_cmi1020() { return nullptr; }        // sim.cmi1020
    virtual SimulatorProcess* simulator() { return nullptr; }    // sim.cme3000, sim.cme3100: the process
    virtual WmbusReceiver* wmbus_receive() { return nullptr; }   // wmbus.receive
    virtual SimCmi1020W* sim_cmi1020w() { return nullptr; }      // sim.cmi1020w
    virtual Cmi6110Uplinks* cmi6110_uplinks() { return nullptr; }  // cmi6110.uplinks
    virtual SimCmi6110* sim_cmi6110() { return nullptr; }          // sim.cmi6110
    virtual const Lwm2mListen* lwm2m_listen() const { return nullptr; }  // coap.server
    // (next: datagram(); the rig's power(), rate_inputs(), button() come from
    // --rig, not the link)

    // The same, or MissingCapability naming the URL, the capability and `what` needed it.
    master::BusPort& require_mbus_request(std::string_view what);
    MbusLine& require_mbus_line(std::string_view what);
    SimCmi1020& require_sim_cmi1020(std::string_view what);
    WmbusReceiver& require_wmbus_receive(std::string_view what);
    SimCmi1020W& require_sim_cmi1020w(std::string_view what);
    Cmi6110Uplinks& require_cmi6110_uplinks(std::string_view what);
    SimCmi6110& require_sim_cmi6110(std::string_view what);
    const Lwm2mListen& require_lwm2m_listen(std::string_view what) const;

    // How long the device needs after close() before it serves a new client (a gateway's single
    // client slot: it must see the connection go), ms.
    [[nodiscard]] virtual double release_ms() const noexcept { return 0; }
    // Releases the device (a TCP connection is closed, a simulator process stopped); later
    // operations on the interfaces raise PortError.
    virtual void close();

protected:
    // `url`: as given (kept only as redact_url() shows it); `tap`: the caller's; the link records
    // into tap() (the redaction stage in front of it).
    DutLink(std::string url, Tap* tap);
    void set_description(std::string d) { description_ = std::move(d); }
    void set_capabilities(std::vector<std::string> caps);
    [[nodiscard]] Tap* tap() noexcept { return redaction_ ? redaction_.get() : nullptr; }

private:
    std::string url_;
    std::string description_;
    std::vector<std::string> capabilities_;
    std::unique_ptr<RedactingTap> redaction_;
};

// ------------------------------------------------------------------------------- the registry

struct LinkParam {
    std::string name;
    std::string meaning;  // "the slaves' rate (300…38400, default 2400)"
};

struct LinkScheme {
    std::string name;     // the registry's name: "tcp", "sim:cmi1020"
    std::string form;     // "tcp://HOST:PORT" (with "//" when the scheme takes an authority)
    std::string summary;  // a noun phrase: "a transparent gateway (CMe3000) or a simulator, over TCP"
    std::vector<LinkParam> params;
    std::vector<std::string> offers;  // every capability a link of this scheme may offer
    // The capabilities a link opened at `u` would offer, after checking every parameter (a
    // DutError names the bad one); no I/O beyond reading files the URL names.
    std::function<std::vector<std::string>(const DutUrl& u)> check;
    std::function<std::unique_ptr<DutLink>(const DutUrl& u, const LinkOptions& o)> open;
    // Process simulators only: the `simulate` command this URL runs, with a caller's own options
    // after the URL's (sim_cme3000.cpp, sim_cme3100.cpp: options the caller gives replace the
    // URL's defaults for the same purpose).
    std::function<SimulatorCommand(const DutUrl& u, const std::vector<std::string>& extra)> simulator = nullptr;
};

// Called once per scheme at static initialisation, from the scheme's own file.
bool register_link(LinkScheme scheme);
// Every registered scheme, sorted by name.
std::vector<const LinkScheme*> link_schemes();
// "sim, serial, tcp, tcp-listen" / "cme3000, cme3100, cmi1020": for error messages.
std::string scheme_names();
std::string simulated_device_names();
// One line per scheme (form, summary, parameters): the --dut help of the commands.
std::string link_schemes_help(std::string_view indent = "  ");

// Opens the DUT. Throws DutError, PortError(connect_failed).
std::unique_ptr<DutLink> open_link(const std::string& url, const LinkOptions& options = {});

// What a link at `url` is and would offer, without opening it (the URL checked: DutError).
struct LinkInfo {
    DutUrl url;
    const LinkScheme* scheme = nullptr;
    std::vector<std::string> capabilities;
};
LinkInfo check_link(const std::string& url);

// The `simulate` command of a process simulator URL (sim:cme3000, sim:cme3100) with `extra`
// options of the caller's; DutError for a URL that names no process simulator.
SimulatorCommand simulator_command(const std::string& url, const std::vector<std::string>& extra = {});

}  // namespace metercert::rigs
