// sim:cmi6110 — metercert's reference CMi6110 (reference/include/metercert/devices/cmi6110/
// module.hpp) run in process, in simulated time: opening the link runs the module from start= for
// days= and keeps every uplink it sent. Capabilities: cmi6110.uplinks (those uplinks and the
// configuration, as a capture would give them) and sim.cmi6110 (the UH50's parameters and further
// runs with other settings: rigs/cmi6110.hpp).
//
//   sim:cmi6110?start=2019-11-28T00:00Z&days=3&network_down=FROM..TO&encoding=senml&format=standard
//               &order=lifo&readout_interval=60&transmit_interval=1440&transmit_offset=30
//               &transmit_delay=240&utc_offset=0&max_age=10080&max_uploads=4&readouts_per_telegram=0
//               &max_payload_bytes=0&seed=1&meter_id=12345678&meter_errors=F5,F9&fault=NAME
//               &power_mode=active&power_off=FROM..TO,…&button=AT+SECONDS,…&attach_s=30
//               &network=1&endpoint=NAME&psk_id=ID&psk=HEX&lifetime_s=N&bootstrap=1&locked=1
//
// network=1 adds coap.server (lwm2m_link.hpp): the profile starts the suite's LwM2M servers on
// 127.0.0.1 (free ports) and the reference LwM2M client (`metercert simulate cmi6110 --server`,
// a child process, real time) against them with endpoint= (default "cmi6110-sim"), psk_id/psk
// (DTLS-PSK; none: NoSec), lifetime_s= (its registration lifetime, default 8 s so that an Update
// comes within a case: int-102) and, for fault= one of the client's network faults (kNetworkFaults
// in faults.hpp), that fault. With bootstrap=1 the suite runs its Bootstrap-Server too and the
// client starts there (`simulate cmi6110 --bootstrap`, psk_id/psk its bootstrap credentials and
// DevEUI, TS 1.1 §6.1), then registers with the DM server the Bootstrap-Server names.
//
// power_mode, power_off and button are the rig's supply and push button on the simulated clock
// (§5.3.5-§5.3.6, §7.5 power mode; ERRATA E-111, E-112): the profile's dut.power / dut.button
// (conformance/cmi6110/conftest.py) rerun the module with them.
// power_wire, button_wire and led_file put a rig in front of the module (rigs/examples/
// cmi6110-lcus.yaml): the profile watches the wires while a case acts through --rig (real time, the
// case's waits between acts are jumps of the simulated clock) and writes the green LED to led_file;
// this link only checks that they are given as PATH:OUTPUT and FILE.
//
// The same options as `metercert simulate cmi6110` (minutes, UTC), with _ for -.
#include <cstdlib>
#include <fmt/format.h>

#include "metercert/devices/cmi6110/faults.hpp"
#include "metercert/rigs/cmi6110.hpp"
#include "metercert/rigs/lwm2m_link.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

using namespace devices::cmi6110;

long signed_param(Params& p, const std::string& k, long def, long lo, long hi) {
    if (!p.has(k)) return def;
    const std::string& v = p.u.params.at(k);
    std::size_t n = 0;
    long x = 0;
    try {
        x = std::stol(v, &n);
    } catch (...) {
        n = 0;
    }
    if (v.empty() || n != v.size() || x < lo || x > hi) fail(p.u, fmt::format("{}={} is not a number in {}…{} (§7.5)", k, v, lo, hi));
    return x;
}

UtcTime time_param(const DutUrl& u, const std::string& k, const std::string& v) {
    const auto t = parse_utc_text(v);
    if (!t || *t != std::chrono::floor<std::chrono::minutes>(*t)) fail(u, fmt::format("{}={} is not YYYY-MM-DDTHH:MMZ (UTC)", k, v));
    return *t;
}

template <class E>
E choice(Params& p, const std::string& k, E def, std::initializer_list<std::pair<const char*, E>> values) {
    if (!p.has(k)) return def;
    std::string names;
    for (const auto& [name, e] : values) {
        if (p.u.params.at(k) == name) return e;
        names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
    }
    fail(p.u, fmt::format("{}={} is not one of {}", k, p.u.params.at(k), names));
}

// YYYY-MM-DDTHH:MM[:SS]Z
UtcTime second_param(const DutUrl& u, const std::string& k, const std::string& v) {
    const auto t = parse_utc_text(v);
    if (!t) fail(u, fmt::format("{}: '{}' is not YYYY-MM-DDTHH:MM:SSZ (UTC)", k, v));
    return *t;
}

std::vector<std::string> split_commas(const std::string& v) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        const auto comma = v.find(',', pos);
        out.push_back(v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
        if (comma == std::string::npos) return out;
        pos = comma + 1;
    }
}

Cmi6110Run parse(const DutUrl& u, Lwm2mListen* net = nullptr) {
    Params p{u};
    Lwm2mListen l;
    l.endpoint = "cmi6110-sim";
    l.reference_client = true;
    const bool network = p.num("network", 0, 0, 1) == 1;
    if (network) {
        lwm2m_params(p, l, false);
        l.client_lifetime_s = static_cast<std::uint32_t>(p.num("lifetime_s", 8, 2, 86400));
    } else {
        for (const char* k : {"endpoint", "psk_id", "psk", "bootstrap", "lifetime_s", "locked"})
            if (p.has(k)) fail(u, fmt::format("{}= needs network=1", k));
    }
    Cmi6110Run r;
    ModuleConfig& c = r.config;
    SimulationRun& run = r.run;
    run.start = time_param(u, "start", p.str("start", "2019-11-28T00:00Z"));
    run.days = static_cast<unsigned>(p.num("days", 1, 1, 3660));
    if (p.has("network_down")) {
        const std::string v = u.params.at("network_down");
        const auto dots = v.find("..");
        if (dots == std::string::npos) fail(u, fmt::format("network_down={} is not FROM..TO (UTC)", v));
        run.network_down_from = time_param(u, "network_down", v.substr(0, dots));
        run.network_down_to = time_param(u, "network_down", v.substr(dots + 2));
        if (run.network_down_to < run.network_down_from) fail(u, fmt::format("network_down={}: TO is before FROM", v));
    }
    run.seed = p.num("seed", 1, 0, 0xFFFFFFFFUL);
    if (p.has("clock_error")) {  // minutes, signed: the meter's clock before a synchronisation (§7.3.2)
        const std::string v = u.params.at("clock_error");
        char* endp = nullptr;
        const long m = std::strtol(v.c_str(), &endp, 10);
        if (v.empty() || *endp != '\0' || m < -1440 || m > 1440) fail(u, fmt::format("clock_error={} is not minutes in -1440…1440", v));
        run.clock_error = std::chrono::minutes{m};
    }
    if (p.has("time_sync")) run.time_sync = time_param(u, "time_sync", u.params.at("time_sync"));
    c.meter_id = p.str("meter_id", "12345678");
    if (c.meter_id.size() != 8 || c.meter_id.find_first_not_of("0123456789") != std::string::npos)
        fail(u, fmt::format("meter_id={} is not 8 decimal digits", c.meter_id));
    c.encoding = choice(p, "encoding", MessageEncoding::senml,
                        {{"senml", MessageEncoding::senml}, {"mbus", MessageEncoding::mbus}, {"json", MessageEncoding::json}});
    c.format = choice(p, "format", MessageFormat::standard, {{"standard", MessageFormat::standard}, {"extended", MessageFormat::extended}});
    c.order = choice(p, "order", UploadOrder::lifo, {{"lifo", UploadOrder::lifo}, {"fifo", UploadOrder::fifo}});
    auto& s = c.schedule;
    s.readout_interval = std::chrono::minutes{p.num("readout_interval", 60, 5, 1440)};
    s.transmit_interval = std::chrono::minutes{p.num("transmit_interval", 1440, 5, 1440)};
    s.transmit_offset = std::chrono::minutes{p.num("transmit_offset", 30, 0, 1440)};
    s.transmit_delay = std::chrono::minutes{p.num("transmit_delay", 240, 1, 240)};
    s.utc_offset = std::chrono::minutes{signed_param(p, "utc_offset", 0, -720, 720)};
    c.max_age = std::chrono::minutes{p.num("max_age", 10080, 1, devices::cmi6110::kMaxAgeLimit)};  // ERRATA E-87
    c.max_uploads = static_cast<unsigned>(p.num("max_uploads", 4, 1, devices::cmi6110::kStorageCapacity));
    c.readouts_per_telegram = p.num("readouts_per_telegram", 0, 0, kStorageCapacity);
    c.max_payload_bytes = p.num("max_payload_bytes", 0, 0, 1 << 20);
    if (p.has("meter_errors")) {
        const std::string v = u.params.at("meter_errors");
        std::size_t pos = 0;
        while (pos <= v.size()) {
            const auto comma = v.find(',', pos);
            const std::string name = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            Uh50Error e{};
            if (!parse_uh50_error(name, e)) fail(u, fmt::format("meter_errors: '{}' is not a UH50 error of Table 3 (F0 … F7V2)", name));
            run.meter_errors.push_back(e);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    run.power_mode = choice(p, "power_mode", PowerMode::active, {{"active", PowerMode::active}, {"passive", PowerMode::passive}});
    if (p.has("power_off") && !u.params.at("power_off").empty()) {
        for (const auto& span : split_commas(u.params.at("power_off"))) {
            const auto dots = span.find("..");
            if (dots == std::string::npos) fail(u, fmt::format("power_off: '{}' is not FROM..TO (UTC)", span));
            PowerOff o{second_param(u, "power_off", span.substr(0, dots)), second_param(u, "power_off", span.substr(dots + 2))};
            if (o.to < o.from) fail(u, fmt::format("power_off: '{}': TO is before FROM", span));
            if (!run.power_off.empty() && o.from < run.power_off.back().to)
                fail(u, fmt::format("power_off: '{}' overlaps or precedes the span before it", span));
            run.power_off.push_back(o);
        }
    }
    if (p.has("button") && !u.params.at("button").empty()) {
        for (const auto& press : split_commas(u.params.at("button"))) {
            const auto plus = press.rfind('+');
            if (plus == std::string::npos) fail(u, fmt::format("button: '{}' is not AT+SECONDS", press));
            const std::string secs = press.substr(plus + 1);
            char* endp = nullptr;
            const double s_held = std::strtod(secs.c_str(), &endp);
            if (secs.empty() || *endp != '\0' || !(s_held >= 0 && s_held <= 3600))
                fail(u, fmt::format("button: '{}': the hold is not seconds 0…3600", press));
            ButtonPress b{second_param(u, "button", press.substr(0, plus)),
                          std::chrono::milliseconds{static_cast<long long>(s_held * 1000.0 + 0.5)}};
            if (!run.presses.empty() && b.at < run.presses.back().at) fail(u, fmt::format("button: '{}' is before the press before it", press));
            run.presses.push_back(b);
        }
    }
    run.attach = std::chrono::seconds{p.num("attach_s", 30, 0, 3600)};
    for (const char* k : {"power_wire", "button_wire"})  // the profile watches them (conformance/cmi6110/lib.py)
        if (p.has(k)) {
            const std::string w = p.str(k, "");
            const auto colon = w.rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == w.size())
                fail(u, fmt::format("{}={}: expected PATH:OUTPUT (a wire: rigs/README.md)", k, w));
        }
    if (p.has("led_file") && p.str("led_file", "").empty()) fail(u, "led_file=: expected a FILE");
    const std::string fault = p.str("fault", "none");
    const auto f = fault_from_name(fault);
    if (!f) fail(u, fmt::format("fault={} is unknown ({})", fault, devices::fault_choices(fault_specs())));
    run.fault = *f;
    if (devices::cmi6110::is_network_fault(*f)) {  // the client's; the uplink simulation ignores it
        if (!network) fail(u, fmt::format("fault={} is a network fault of the LwM2M client: it needs network=1", fault));
        l.client_fault = fault;
    }
    if (net && network) *net = l;
    p.check_all_used();
    try {
        check_config(c);
    } catch (const std::invalid_argument& e) {
        fail(u, e.what());
    }
    return r;
}

Cmi6110Run run_of(const DutUrl& u, Lwm2mListen* net = nullptr) {
    Cmi6110Run r = parse(u, net);
    r.result = simulate(r.config, r.run);
    return r;
}

class SimCmi6110Link : public DutLink, public Cmi6110Uplinks, public SimCmi6110 {
public:
    SimCmi6110Link(const DutUrl& u, const LinkOptions& o) : DutLink(u.text, o.tap), url_(u), run_(run_of(u, &net_)) {
        set_description(fmt::format("metercert's reference CMi6110 (UH50 {}), {} day(s) simulated: {} uplink(s), {} {}{}",
                                    run_.config.meter_id, run_.run.days, run_.result.uplinks.size(),
                                    encoding_name(run_.config.encoding), format_name(run_.config.format),
                                    run_.run.fault == Cmi6110Fault::none ? "" : fmt::format(", fault {}", fault_name(run_.run.fault))));
        std::vector<std::string> caps{std::string(cap::cmi6110_uplinks), std::string(cap::sim_cmi6110)};
        if (!net_.endpoint.empty()) caps.emplace_back(cap::coap_server);
        set_capabilities(std::move(caps));
    }
    const Lwm2mListen* lwm2m_listen() const override { return net_.endpoint.empty() ? nullptr : &net_; }
    Cmi6110Uplinks* cmi6110_uplinks() override { return this; }
    SimCmi6110* sim_cmi6110() override { return this; }
    const ModuleConfig& uplinks_config() const override { return run_.config; }
    const std::vector<Uplink>& uplinks() const override { return run_.result.uplinks; }
    const Cmi6110Run& sim_run() const override { return run_; }
    Cmi6110Run rerun(const std::map<std::string, std::string>& params) const override {
        DutUrl u = url_;
        for (const auto& [k, v] : params) {
            if (k == "fault") fail(url_, "a rerun keeps the URL's fault: fault= cannot be given");
            if (v.empty())
                u.params.erase(k);
            else
                u.params[k] = v;
        }
        u.text = fmt::format("{} (rerun)", url_.text);
        return run_of(u);
    }
    void close() override {}

private:
    DutUrl url_;
    Lwm2mListen net_{.host = "127.0.0.1", .port = 0, .endpoint = ""};  // endpoint "": no network=1
    Cmi6110Run run_;
};

const bool registered = register_link({
    .name = "sim:cmi6110",
    .form = "sim:cmi6110",
    .summary = "metercert's reference CMi6110 with its UH50 meter, run in process in simulated time (the options of "
               "simulate cmi6110, minutes and UTC)",
    .params = {{"start", "simulated start, UTC YYYY-MM-DDTHH:MMZ (default 2019-11-28T00:00Z)"},
               {"days", "simulated days, 1…3660 (default 1)"},
               {"network_down", "FROM..TO (UTC): transmissions then fail, their readouts stay unsent"},
               {"encoding", "senml (default), mbus or json (§7.5)"},
               {"format", "standard (default) or extended (§7.5)"},
               {"order", "lifo (default) or fifo: auto-upload order (§7.5)"},
               {"readout_interval", "minutes, 5…1440 (default 60)"},
               {"transmit_interval", "minutes, 5…1440 (default 1440)"},
               {"transmit_offset", "minutes (default 30; ERRATA E-60)"},
               {"transmit_delay", "minutes, 1…240 (default 240)"},
               {"utc_offset", "minutes, −720…720 (default 0; §7.3.1)"},
               {"clock_error", "the meter's clock error before a time synchronisation, minutes (−1440…1440; §7.3.2)"},
               {"time_sync", "when the module synchronises the meter's clock, UTC (§7.3.2: a readout and a transmission then)"},
               {"max_age", "auto-upload maximum age, minutes, ≥ 1 (default 10080; ERRATA E-87)"},
               {"max_uploads", "max uploads per transmission, ≥ 1 (default 4; ERRATA E-87)"},
               {"readouts_per_telegram", "SenML readouts per pack (default 0: Ttransmit / Treadout)"},
               {"max_payload_bytes", "split SenML packs larger than this (default 0: no limit)"},
               {"seed", "seed of the meter and of the transmit delays (default 1)"},
               {"meter_id", "the UH50's 8-digit identification number (default 12345678)"},
               {"meter_errors", "UH50 error bits of Table 3 set from the start, comma-separated (F0 … F7V2)"},
               {"power_mode", "active (default: running from start=) or passive (as delivered: sends nothing until activated; §5.3.5, §7.5)"},
               {"power_off", "FROM..TO[,FROM..TO…] (UTC, seconds allowed): the supply is off (§5.3.5; ERRATA E-112)"},
               {"button", "AT+SECONDS[,…]: the push button pressed at AT (UTC) and held SECONDS (§5.3.5-§5.3.6; ERRATA E-111)"},
               {"attach_s", "seconds from power-up, activation or reboot to attach and the first readout and uplink (default 30; E-112)"},
               {"fault", "the module deviates one way (metercert faults cmi6110; a network fault needs network=1)"},
               {"network", "1: also the LwM2M network (coap.server): the reference client against the suite's servers on loopback"},
               {"endpoint", "network=1: the client's Endpoint Client Name (default cmi6110-sim)"},
               {"psk_id", "network=1: DTLS PSK identity (with psk=; none: NoSec)"},
               {"psk", "network=1: DTLS PSK, hex (never shown)"},
               {"lifetime_s", "network=1: the client's registration lifetime, s (default 8)"},
               {"bootstrap", "network=1: 1 (the default DUT): the client starts at the suite's Bootstrap-Server, psk_id its DevEUI, "
                             "which hands it to the DM server (TS 1.1 §6.1); 0: it registers straight"},
               {"locked", "network=1: 1: the client is locked through its NFC path at start (§7.2 Configuration Lock = Locked; "
                          "simulate cmi6110 --nfc-lock): 33906/0/5 reads true; default 0, Open (ERRATA E-164)"},
               {"power_wire", "PATH:OUTPUT: the supply is a rig's relay (rigs/README.md \"Wires\"), watched by the cmi6110 profile "
                              "while a case runs (--rig takes dut.power); power_off= is then what the wire did"},
               {"button_wire", "PATH:OUTPUT: the push button is a rig's relay, watched as power_wire (--rig takes dut.button)"},
               {"led_file", "FILE: the module's green LED as a GPIO-style value file (1 lit, 0 dark) the profile writes while "
                            "a case runs, for the rig's led input (labgrid FileDigitalOutputDriver; ERRATA E-143)"}},
    .offers = {std::string(cap::cmi6110_uplinks), std::string(cap::sim_cmi6110), std::string(cap::coap_server)},
    .check = [](const DutUrl& u) {
        Lwm2mListen net{.endpoint = ""};
        (void)parse(u, &net);
        std::vector<std::string> caps{std::string(cap::cmi6110_uplinks), std::string(cap::sim_cmi6110)};
        if (!net.endpoint.empty()) caps.emplace_back(cap::coap_server);
        return caps;
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> { return std::make_unique<SimCmi6110Link>(u, o); },
});

}  // namespace
}  // namespace metercert::rigs::links
