// sim:cmi1020w — the reference CMi1020W (reference/devices/cmi1020w.hpp) and the E350 meter model
// it reads, in process on a simulated clock. Capabilities: wmbus.receive (the module's telegrams,
// format A with CRCs, as a receiver in range would get them) and sim.cmi1020w (the module and the
// meter themselves: sim_cmi1020w.hpp).
//
//   sim:cmi1020w?key=HEX&mode=T1|C1&interval=S&readout=FILE&fault=NAME&rate_inputs=disabled|enabled
//
// The clock starts at the module's power-up (TimePoint{}) and advances only in receive(timeout)
// (to the module's next deadline, if it falls within the timeout, else by the timeout) and in
// idle(): a profile's run over hours of transmissions takes milliseconds. Every telegram receive()
// returns is tapped first (LinkKind::wmbus, from_dut; wall time = the link's wall time at open +
// the simulated time). The key is never shown (the URL is redacted: dut_link.hpp).
#include <fmt/format.h>

#include "metercert/devices/cmi1020w.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_cmi1020w.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    devices::Cmi1020WOptions module;
    std::string readout;
    std::string fault_name = "none";
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    if (p.has("key")) {
        c.module.key = wmbus::Key::from_hex(u.params.at("key"));
        if (!c.module.key) fail(u, "key= must be 32 hex digits (the key is not shown)");
    }
    const std::string mode = p.str("mode", "T1");
    if (mode == "T1" || mode == "t1") c.module.mode = devices::RadioMode::t1;
    else if (mode == "C1" || mode == "c1") c.module.mode = devices::RadioMode::c1;
    else fail(u, fmt::format("mode={} (expected T1 or C1)", mode));
    c.module.interval = std::chrono::seconds(p.num("interval", 900, 1, 86400));
    const std::string ri = p.str("rate_inputs", "disabled");
    if (ri == "enabled") c.module.rate_inputs_enabled = true;
    else if (ri != "disabled") fail(u, fmt::format("rate_inputs={} (expected disabled or enabled)", ri));
    c.readout = p.has("readout") ? readout_param(u, u.params.at("readout")) : std::string(default_e350_readout());
    c.fault_name = p.str("fault", "none");
    const auto fault = devices::cmi1020w_fault_from_name(c.fault_name);
    if (!fault)
        fail(u, fmt::format("fault={} is unknown ({})", c.fault_name, devices::fault_choices(devices::cmi1020w_fault_specs())));
    c.module.fault = *fault;
    if (!c.module.key && (*fault == devices::Cmi1020WFault::access_number_not_in_iv || *fault == devices::Cmi1020WFault::wrong_key ||
                          *fault == devices::Cmi1020WFault::plain_while_encrypted))
        fail(u, fmt::format("fault={} needs key= (it changes the encryption)", c.fault_name));
    p.check_all_used();
    return c;
}

class SimCmi1020WLink : public DutLink, public WmbusReceiver, public SimCmi1020W {
public:
    SimCmi1020WLink(const DutUrl& u, const LinkOptions& o, Config c)
        : DutLink(u.text, o.tap), options_(std::move(c.module)), meter_(std::move(c.readout)), wall_base_us_(wall_clock_us()) {
        module_ = std::make_unique<devices::Cmi1020W>(meter_, options_);
        set_description(fmt::format("a simulated CMi1020W ({}, {}, every {} s) with its E350{}",
                                    options_.mode == devices::RadioMode::t1 ? "T1" : "C1",
                                    options_.key ? "encrypted, security mode 5" : "plain",
                                    std::chrono::duration_cast<std::chrono::seconds>(options_.interval).count(),
                                    options_.fault != devices::Cmi1020WFault::none ? fmt::format(", fault {}", c.fault_name) : ""));
        set_capabilities({std::string(cap::wmbus_receive), std::string(cap::sim_cmi1020w)});
    }

    WmbusReceiver* wmbus_receive() override { return this; }
    SimCmi1020W* sim_cmi1020w() override { return this; }
    void close() override { closed_ = true; }

    // wmbus.receive
    std::optional<ReceivedTelegram> receive(Duration timeout) override {
        check_open();
        if (timeout < Duration::zero()) timeout = Duration::zero();
        const TimePoint until = now_ + timeout;
        while (true) {
            const TimePoint deadline = powered_up_ + module_->next_deadline().time_since_epoch();
            if (deadline > until) break;
            now_ = std::max(now_, deadline);
            if (auto frame = module_->on_time(module_time())) {
                ReceivedTelegram t;
                t.frame = std::move(*frame);
                t.crc = wmbus::CrcFormat::a;
                t.at = now_;
                t.mode = options_.mode == devices::RadioMode::t1 ? "T1" : "C1";
                if (Tap* tp = tap()) {
                    TapRecord r;
                    r.link = LinkKind::wmbus;
                    r.direction = Direction::from_dut;
                    r.wall_us = wall_base_us_ + now_.time_since_epoch().count();
                    r.bytes = t.frame;
                    tp->record(r);
                }
                return t;
            }
            // red LED: nothing sent this interval; the module tries again at its next deadline
        }
        now_ = until;
        return std::nullopt;
    }
    [[nodiscard]] TimePoint now() override { return now_; }

    // sim.cmi1020w
    devices::Cmi1020W& module() override { return *module_; }
    devices::E350& meter() override { return meter_; }
    void power_cycle() override {
        module_ = std::make_unique<devices::Cmi1020W>(meter_, options_);
        powered_up_ = now_;
    }
    [[nodiscard]] TimePoint powered_up_at() const override { return powered_up_; }
    void idle(Duration d) override {
        check_open();
        if (d < Duration::zero()) return;
        const TimePoint until = now_ + d;
        while (powered_up_ + module_->next_deadline().time_since_epoch() <= until) {
            now_ = std::max(now_, powered_up_ + module_->next_deadline().time_since_epoch());
            (void)module_->on_time(module_time());  // sent, and nobody listening
        }
        now_ = until;
    }

private:
    [[nodiscard]] TimePoint module_time() const { return TimePoint{now_ - powered_up_}; }
    void check_open() const {
        if (closed_) throw master::PortError("connection_closed", fmt::format("{}: the link is closed", url()));
    }
    devices::Cmi1020WOptions options_;
    devices::E350 meter_;
    std::unique_ptr<devices::Cmi1020W> module_;
    TimePoint now_{};
    TimePoint powered_up_{};
    std::int64_t wall_base_us_;
    bool closed_ = false;
};

const std::vector<std::string> kOffers{std::string(cap::sim_cmi1020w), std::string(cap::wmbus_receive)};

const bool registered = register_link({
    .name = "sim:cmi1020w",
    .form = "sim:cmi1020w",
    .summary = "a reference CMi1020W and its E350 meter model in process, on a simulated clock (first telegram 15 s after power-up)",
    .params = {{"key", "AES-128 key, 32 hex digits: encrypted telegrams (security mode 5); never shown (default: plain)"},
               {"mode", "wireless M-Bus mode, T1 (default) or C1 (both frame format A; ERRATA E-54)"},
               {"interval", "seconds between telegrams, 1…86400 (default 900; ERRATA E-54)"},
               {"rate_inputs", "disabled (the manual's default) or enabled (ERRATA E-64)"},
               {"readout", "IEC 62056-21 readout FILE the meter answers with (default: the real E350)"},
               {"fault", "the module deviates one way (metercert faults cmi1020w)"}},
    .offers = kOffers,
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return kOffers;
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        return std::make_unique<SimCmi1020WLink>(u, o, parse(u));
    },
});

}  // namespace
}  // namespace metercert::rigs::links
