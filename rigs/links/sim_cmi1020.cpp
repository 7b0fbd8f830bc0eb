// sim:cmi1020 — reference CMi1020 slaves in process, each with its E350 meter model, on one
// simulated bus and a simulated clock (no wire waits). Capabilities: mbus.request (the master's
// SimPort), mbus.line (the master sets the line rate; reply gaps are the bus's, in bit times) and
// sim.cmi1020 (the slaves and meters themselves: sim_cmi1020.hpp).
//
//   sim:cmi1020?count=3&secondary=13647123&address=1&baud=2400&gap_bits=33&ids=random:7
//               &readout=FILE&fault=NAME&load=W
#include <fmt/format.h>

#include "metercert/devices/faults.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/rigs/populations.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_port.hpp"
#include "params.hpp"

extern const char kDefaultE350Readout[];
extern const std::size_t kDefaultE350ReadoutSize;

namespace metercert::rigs {

std::string_view default_e350_readout() noexcept { return {kDefaultE350Readout, kDefaultE350ReadoutSize}; }

namespace links {
namespace {

struct Config {
    devices::BusOptions bus;
    unsigned baud = 2400;
    double gap_bits = 33;
    const devices::Cmi1020FaultSpec* fault = nullptr;  // nullptr: the reference
    std::string fault_name = "none";
    std::uint32_t load_w = 0;  // a load on every meter (E350::load_w): its energy registers grow
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.bus.count = p.num("count", 1, 1, 250);
    if (p.has("secondary")) c.bus.secondary = identification_param(u, u.params.at("secondary"));
    c.bus.address = static_cast<std::uint8_t>(p.num("address", 0, 0, 250));
    c.baud = mbus_baud(u, p.num("baud", 2400, 300, 38400));
    // the one place the simulated meters get their default readout from
    c.bus.readout = p.has("readout") ? readout_param(u, u.params.at("readout")) : std::string(default_e350_readout());
    const std::string ids = p.str("ids", "consecutive");
    if (ids.rfind("random:", 0) == 0) {
        const std::string seed = ids.substr(7);
        if (seed.empty() || seed.size() > 9 || seed.find_first_not_of("0123456789") != std::string::npos)
            fail(u, fmt::format("ids={} (expected consecutive or random:SEED)", ids));
        c.bus.secondaries = random_ids(static_cast<std::uint32_t>(std::stoul(seed)), c.bus.count);
    } else if (ids != "consecutive") {
        fail(u, fmt::format("ids={} (expected consecutive or random:SEED)", ids));
    }
    c.gap_bits = static_cast<double>(p.num("gap_bits", 33, 11, 100000));
    c.load_w = static_cast<std::uint32_t>(p.num("load", 0, 0, 100'000'000));
    c.fault_name = p.str("fault", "none");
    c.fault = devices::find_cmi1020_fault(c.fault_name);
    if (!c.fault && c.fault_name != "none")
        fail(u, fmt::format("fault={} is unknown ({})", c.fault_name, devices::fault_choices(devices::cmi1020_fault_specs())));
    p.check_all_used();
    return c;
}

class SimCmi1020Link : public DutLink, public MbusLine, public SimCmi1020 {
public:
    SimCmi1020Link(const DutUrl& u, const LinkOptions& o, const Config& c) : DutLink(u.text, o.tap), bus_(c.bus) {
        bus_.set_fault(c.fault);
        for (std::size_t i = 0; i < bus_.size(); ++i) bus_.meter(i).load_w = c.load_w;
        for (std::size_t i = 0; i < bus_.size() && c.baud != 2400; ++i)  // §6.7.3 through each slave's command
            bus_.slave(i).on_frame(mbus::build_long(0x53, bus_.slave(i).settings().primary_address,
                                                    static_cast<std::uint8_t>(0xB8 + __builtin_ctz(c.baud / 300)), {}));
        port_ = std::make_unique<SimPort>(bus_, c.baud);
        port_->reply_gap_bits = c.gap_bits;
        // the fault's reply delay hook, at the URL's rate (faults.hpp)
        port_->extra_reply_delay = c.fault && c.fault->hooks.reply_delay ? c.fault->hooks.reply_delay(c.baud) : Duration{};
        port_->set_tap(tap());
        port_->idle(c.bus.first_readout + std::chrono::milliseconds(500));  // powered long enough for a first readout
        set_description(fmt::format("{} simulated CMi1020 slave(s) at {} baud{}", bus_.size(), c.baud,
                                    c.fault ? fmt::format(", fault {}", c.fault_name) : ""));
        set_capabilities({std::string(cap::mbus_request), std::string(cap::mbus_line), std::string(cap::sim_cmi1020)});
    }
    master::BusPort* mbus_request() override { return port_.get(); }
    MbusLine* mbus_line() override { return this; }
    SimCmi1020* sim_cmi1020() override { return this; }
    devices::Cmi1020Bus& bus() override { return bus_; }
    [[nodiscard]] unsigned line_baud() const override { return port_->baud(); }
    void set_line_baud(unsigned baud) override { port_->set_baud(baud); }

private:
    // the slaves see the line's time in whole ms (SimPort)
    void catch_up() override { bus_.advance_to(std::chrono::floor<std::chrono::milliseconds>(port_->now())); }
    devices::Cmi1020Bus bus_;
    std::unique_ptr<SimPort> port_;
};

const bool registered = register_link({
    .name = "sim:cmi1020",
    .form = "sim:cmi1020",
    .summary = "reference CMi1020 slaves in process, on a simulated bus and clock",
    .params = {{"count", "slaves on the bus, 1…250 (default 1)"},
               {"secondary", "8-digit identification number of the first slave; the next are consecutive"},
               {"ids", "consecutive (default) or random:SEED"},
               {"address", "primary address of the first slave, 0…250 (default 0)"},
               {"baud", "the slaves' rate, 300…38400 (default 2400)"},
               {"gap_bits", "reply gap in bit times, 11…100000 (default 33)"},
               {"readout", "IEC 62056-21 readout FILE the meters answer with (default: the real E350)"},
               {"fault", "every slave deviates one way (metercert faults cmi1020)"}},
    .offers = {std::string(cap::mbus_request), std::string(cap::mbus_line), std::string(cap::sim_cmi1020)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::mbus_request), std::string(cap::mbus_line), std::string(cap::sim_cmi1020)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        return std::make_unique<SimCmi1020Link>(u, o, parse(u));
    },
});

}  // namespace
}  // namespace links
}  // namespace metercert::rigs
