// `metercert simulate cmi1020`: reference CMi1020 slaves (reference/devices/cmi1020.hpp, each with
// its E350 meter model) on one simulated bus (devices/bus.hpp) behind a TCP port — the byte stream
// a CMe3000 transparent gateway carries, no extra framing — or a pty, on the simulator host
// (rigs/sim_host.hpp).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "metercert/devices/bus.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/mbus/secondary_address.hpp"
#include "metercert/obis/mode_c.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_host.hpp"
#include "metercert/rigs/wire.hpp"
#include "registry.hpp"
#include "serve.hpp"
#include "state_file.hpp"

namespace metercert::cli {

namespace {

struct Cmi1020Options {
    std::string listen;
    std::string pty;
    // close a TCP client that carried no byte either way this long (s); the CMe3000's Table 3
    // default; 0 = never
    double disconnect_timeout_s = 10;
    std::size_t count = 1;
    std::string secondary;
    unsigned address = 0;
    std::string readout_file;
    std::string state_dir;
    unsigned baud = 2400;
    std::string fabrication = "70000001";
    std::uint64_t first_readout_ms = 2000;
    bool wire_timing = false;
    std::string meter_fault = "none";
    std::string pcap;
    std::string power;                     // a wire (rigs/wire.hpp): the module's supply
    std::vector<std::string> rate_inputs;  // two wires: the 230 VAC rate inputs A and B
    std::string button;                    // a wire: the push button (closed = pressed)

    std::string probe_pty;                 // the first slave's E350 on its optical port (IEC 62056-21 mode C)
    std::uint32_t load_w = 0;              // a load on every meter: its energy registers grow
};

// The rig's wires into the simulated bus (rigs/wire.hpp): the supply of every slave (a cut is
// silence on the bus; the return of power is each slave's power cycle, CMi1020 §5.1/§5.2) and the
// 230 VAC rate inputs A/B (§4.2.1) and the push button (§5.3, §5.4), polled on the host's timer and
// before every frame.
class Wires {
public:
    Wires(const Cmi1020Options& o) {
        try {
            if (!o.power.empty()) {
                power_.emplace(o.power);
                power_seen_ = power_->read();
                powered_ = power_seen_.on;
            }
            if (!o.rate_inputs.empty()) {
                if (o.rate_inputs.size() != 2) usage_error("--rate-inputs: give two wires, A and B: WIRE_A,WIRE_B");
                a_.emplace(o.rate_inputs[0]);
                b_.emplace(o.rate_inputs[1]);
                a_seen_ = a_->read();
                b_seen_ = b_->read();
            }
        } catch (const rigs::WireError& e) {
            usage_error(fmt::format("{}: {}", power_ && !a_ && o.rate_inputs.empty() ? "--power" : "--power/--rate-inputs", e.what()));
        }
        try {
            if (!o.button.empty()) {
                button_.emplace(o.button);
                button_seen_ = button_->read();
            }
        } catch (const rigs::WireError& e) {
            usage_error(fmt::format("--button: {}", e.what()));
        }
    }
    [[nodiscard]] bool any() const noexcept { return power_ || a_ || button_; }
    [[nodiscard]] std::size_t presses() const noexcept { return presses_; }
    [[nodiscard]] bool powered() const noexcept { return powered_; }
    [[nodiscard]] std::size_t power_cycles() const noexcept { return cycles_; }

    // The slaves' state at start: the rate inputs as the wires say.
    void start(devices::Cmi1020Bus& bus) {
        if (a_)
            for (std::size_t i = 0; i < bus.size(); ++i) bus.slave(i).set_rate_inputs(a_seen_.on, b_seen_.on);
        if (button_ && button_seen_.on)  // pressed as the module starts: held on power-up (§5.4)
            for (std::size_t i = 0; i < bus.size(); ++i) bus.slave(i).press_button();
    }

    // Reads the wires and applies what changed at `now`.
    void sync(devices::Cmi1020Bus& bus, TimePoint now) {
        if (power_)
            if (const auto s = power_->poll(); s && !(*s == power_seen_)) {
                // a pulse the poll missed: the count moved by two or more while the state looks the same
                const bool missed_cut = s->changes >= power_seen_.changes + 2;
                const bool comes_on = s->on && (!powered_ || missed_cut);
                if (powered_ && !s->on) std::cerr << "metercert simulate: power off (" << power_->spec() << ")\n";
                powered_ = s->on;
                power_seen_ = *s;
                if (comes_on) {
                    bus.advance_to(now);  // the slaves live up to the moment power returns
                    for (std::size_t i = 0; i < bus.size(); ++i) bus.power_cycle(i);
                    ++cycles_;
                    if (a_)
                        for (std::size_t i = 0; i < bus.size(); ++i) bus.slave(i).set_rate_inputs(a_seen_.on, b_seen_.on);
                    if (button_)  // the button as it is when the power returns (held on power-up: §5.4)
                        for (std::size_t i = 0; i < bus.size(); ++i) set_button(bus.slave(i), button_seen_.on);
                    std::cerr << "metercert simulate: power on (" << power_->spec() << "): power cycle " << cycles_ << "\n";
                }
            }
        if (a_) {
            const auto a = a_->poll(), b = b_->poll();
            if (a) a_seen_ = *a;
            if (b) b_seen_ = *b;
            if (powered_)  // an unpowered module senses nothing; at power-on it takes the inputs as they are
                for (std::size_t i = 0; i < bus.size(); ++i) bus.slave(i).set_rate_inputs(a_seen_.on, b_seen_.on);
        }
        if (button_)
            if (const auto s = button_->poll(); s && !(*s == button_seen_)) {
                // a press the poll missed: the count moved by two or more while the state looks the same
                const bool missed = s->changes >= button_seen_.changes + 2 && s->on == button_seen_.on;
                button_seen_ = *s;
                if (powered_) {  // an unpowered module senses nothing; at power-on it takes the button as it is
                    bus.advance_to(now);
                    for (std::size_t i = 0; i < bus.size(); ++i) {
                        if (missed) set_button(bus.slave(i), !s->on);
                        set_button(bus.slave(i), s->on);
                    }
                    std::cerr << "metercert simulate: button " << (s->on ? "pressed" : "released") << " (" << button_->spec() << ")\n";
                }
            }
    }

private:
    void set_button(devices::Cmi1020& slave, bool pressed) {
        if (pressed == slave.button_pressed()) return;
        if (pressed) ++presses_;
        pressed ? slave.press_button() : slave.release_button();
    }
    std::optional<rigs::Wire> power_, a_, b_, button_;
    rigs::WireState power_seen_, a_seen_, b_seen_, button_seen_;
    std::size_t presses_ = 0;
    bool powered_ = true;
    std::size_t cycles_ = 0;
};

std::uint32_t identification_option(const std::string& s, const char* option) {
    const auto id = mbus::parse_identification(s);
    if (!id) usage_error(fmt::format("{} '{}': expected 8 decimal digits", option, s));
    return *id;
}

int run(const Cmi1020Options& o) {
    if (o.listen.empty() == o.pty.empty()) usage_error("give exactly one of --listen tcp://HOST:PORT or --pty PATH");
    if (o.count < 1 || o.count > 250) usage_error("--count must be 1..250");
    if (o.address > 250) usage_error("--address must be 0..250");
    if (o.baud != 300 && o.baud != 600 && o.baud != 1200 && o.baud != 2400 && o.baud != 4800 && o.baud != 9600)
        usage_error("--baud must be 300, 600, 1200, 2400, 4800 or 9600");
    if (!(o.disconnect_timeout_s >= 0) || o.disconnect_timeout_s > 86400.0 * 365)
        usage_error("--disconnect-timeout: 0 (never) or more seconds, at most a year");
    const auto fault = devices::meter_fault_from_name(o.meter_fault);
    if (!fault)
        usage_error(fmt::format("--meter-fault '{}' is unknown ({})", o.meter_fault,
                                devices::fault_choices(devices::e350_fault_specs())));

    devices::BusOptions bo;
    bo.count = o.count;
    if (!o.secondary.empty()) bo.secondary = identification_option(o.secondary, "--secondary");
    bo.address = static_cast<std::uint8_t>(o.address);
    bo.fabrication_base = identification_option(o.fabrication, "--fabrication");
    bo.first_readout = std::chrono::milliseconds(o.first_readout_ms);
    if (o.readout_file.empty()) {
        bo.readout = rigs::default_e350_readout();
    } else {
        bo.readout = load_readout(o.readout_file, "--readout");  // validated now, not at the first readout
    }
    devices::Cmi1020Bus bus(bo);
    std::vector<StateFile> states;
    for (std::size_t i = 0; i < bus.size(); ++i) {
        bus.meter(i).fault = *fault;
        bus.meter(i).load_w = o.load_w;
        if (o.baud != 2400)  // §6.7.3 through the slave's own command
            bus.slave(i).on_frame(mbus::build_long(0x53, bus.slave(i).settings().primary_address,
                                                   static_cast<std::uint8_t>(0xB8 + __builtin_ctz(o.baud / 300)), {}));
        if (!o.state_dir.empty()) {
            states.emplace_back(std::filesystem::path(o.state_dir) / fmt::format("cmi1020-{}.json", i));
            try {
                if (auto saved = states.back().load()) bus.slave(i).load_state(*saved);
                states.back().save_if_changed(bus.slave(i).state_json());
            } catch (const std::exception& e) {
                usage_error(fmt::format("--state {}: {}: {}", o.state_dir, states.back().path().string(), e.what()));
            }
        }
    }

    Wires wires(o);
    wires.start(bus);

    rigs::SimHost host;
    capture_or_usage_error(host, o.pcap);
    host.stop_on_signals();

    const bool tcp = !o.listen.empty();
    auto tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags, unsigned baud) {
        host.tap(d, 0, b, flags, baud);
    };
    std::size_t clients = 0, refused = 0, idle_closed = 0, partial_dropped = 0;
    // the master stopped inside a frame: the slaves' receivers give up
    FramedInput input(host, [&] { return partial_frame_silence_ms(bus.slave(0).baud(), tcp); },
                      [&](const mbus::StreamEvent& ev) {
                          tap(rigs::Direction::to_dut, ev.bytes, rigs::kTapGarbled, bus.slave(0).baud());
                          ++partial_dropped;
                      });
    rigs::TcpListener* listener = nullptr;
    rigs::PtyEndpoint* line = nullptr;
    // CMe3000 Table 3 disconnect timeout: an idle client does not hold the bus
    const auto idle_limit_ms = static_cast<std::uint64_t>(o.disconnect_timeout_s * 1000.0 + 0.5);
    rigs::Timer& idle = host.timer([&] {
        ++idle_closed;
        listener->close_client();
    });
    auto active = [&] {  // a byte either way
        if (tcp && idle_limit_ms > 0) idle.arm_in(idle_limit_ms);
    };
    auto send = [&](const std::vector<std::uint8_t>& reply) { return tcp ? listener->send(reply) : line->send(reply); };
    auto on_bytes = [&](std::span<const std::uint8_t> in) {
        active();
        if (wires.any()) wires.sync(bus, host.time());  // a relay switched just before this frame counts
        for (auto& ev : input.feed(in)) {
            const unsigned baud_before = bus.slave(0).baud();
            tap(rigs::Direction::to_dut, ev.bytes, ev.kind == mbus::StreamEvent::Kind::frame ? 0 : rigs::kTapGarbled,
                baud_before);
            if (ev.kind != mbus::StreamEvent::Kind::frame) continue;  // slaves ignore noise
            if (!wires.powered()) continue;                            // no supply: the bus is silent
            auto reply = bus.on_frame(ev.bytes, host.time());
            for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
            if (!reply) continue;
            tap(rigs::Direction::from_dut, *reply, bus.last_line_errors() ? rigs::kTapParityError : 0, baud_before);
            if (o.wire_timing) {  // EN 13757-2: ≥ 11 bit times, then the reply at the old baud
                const double us = (11.0 + 11.0 * static_cast<double>(reply->size())) * 1e6 / baud_before;
                std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(us)));
            }
            active();
            if (!send(*reply) && tcp) break;  // the client is gone (closed by the host)
        }
    };
    if (tcp) {
        listener = &listen_or_usage_error(
            host, o.listen,
            {.admit =
                 [&](bool busy) {
                     refused += busy;  // one client at a time, as the CMe3000 in front of a real bus (ERRATA E-22)
                     return !busy;
                 },
             .on_open =
                 [&](int) {
                     ++clients;
                     active();
                 },
             .on_bytes = on_bytes,
             .on_close =
                 [&] {
                     idle.disarm();
                     input.drop_partial();  // the master went away: wait for the next
                 }});
    } else {
        line = &pty_or_usage_error(host, o.pty, {.on_bytes = on_bytes});
    }
    // The optical port of the first slave's E350 (a lab's IEC 62056-21 probe): the same meter model
    // the module reads, its answer taken at the host's time after the bus has lived up to it, so a
    // readout through the probe and one through the module see the meter as it is at that moment.
    std::optional<obis::ModeCMeter> optical;
    rigs::PtyEndpoint* probe_line = nullptr;
    std::size_t probe_readouts = 0;
    if (!o.probe_pty.empty()) {
        optical.emplace([&] {
            // the meter has its own supply: it answers (and its load runs on) while the rig cuts the module's
            bus.advance_to(host.time());
            bus.meter(0).advance_to(host.time());  // as the module's readouts see it (E350::advance_to)
            return bus.meter(0).optical_answer();
        });
        // IEC 62056-21: a meter that receives no character for 1500 ms goes back to waiting for a request
        rigs::Timer* silence = &host.timer([&] { optical->reset(); });
        probe_line = &pty_or_usage_error(host, o.probe_pty, {.on_bytes = [&, silence](std::span<const std::uint8_t> in) {
                                             silence->arm_in(1500);
                                             const auto before = optical->readouts();
                                             const auto reply = optical->feed(
                                                 std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
                                             probe_readouts += optical->readouts() - before;
                                             if (!reply.bytes.empty())
                                                 probe_line->send(std::span(reinterpret_cast<const std::uint8_t*>(reply.bytes.data()),
                                                                            reply.bytes.size()));
                                         }});
    }
    host.every(500, [&] { bus.advance_to(host.time()); });  // the meters' own readouts between frames
    if (wires.any()) host.every(20, [&] { wires.sync(bus, host.time()); });

    std::string ids;
    nlohmann::json slaves = nlohmann::json::array();
    for (std::size_t i = 0; i < bus.size(); ++i) {
        if (i < 4) ids += fmt::format("{}{:08X}", i ? ", " : "", bus.slave(i).secondary_address());
        slaves.push_back(nlohmann::json{{"secondary", fmt::format("{:08X}", bus.slave(i).secondary_address())},
                                        {"address", bus.slave(i).settings().primary_address}});
    }
    if (bus.size() > 4) ids += ", …";
    std::cerr << fmt::format("metercert simulate: {} CMi1020 slave(s) [{}] listening on {}\n", bus.size(), ids,
                             tcp ? listener->url() : "pty " + o.pty)
              << std::flush;
    nlohmann::json identity{{"model", "CMi1020"},     {"meter", "E350"},
                            {"count", bus.size()},     {"baud", o.baud},
                            {"fabrication", o.fabrication}, {"meter_fault", o.meter_fault},
                            {"slaves", slaves}};
    if (!o.power.empty()) identity["power"] = o.power;  // the rig's wires, when there are any
    if (!o.rate_inputs.empty()) identity["rate_inputs"] = o.rate_inputs;
    if (!o.button.empty()) identity["button"] = o.button;

    if (probe_line) identity["probe_pty"] = o.probe_pty;
    host.announce_ready("cmi1020", identity);
    const int code = host.run();

    for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
    if (tcp) listener->close_client();
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < bus.size(); ++i) rejected += bus.slave(i).rejected();
    std::cerr << fmt::format("metercert simulate: stopped{}; {} collision(s), {} frame(s) rejected by the slaves "
                             "(bad L-field, checksum or unknown command), {} partial frame(s) dropped",
                             states.empty() ? "" : ", state saved", bus.collisions(), rejected, partial_dropped);
    if (wires.any()) std::cerr << fmt::format("; {} power cycle(s) through the rig", wires.power_cycles());
    if (!o.button.empty()) std::cerr << fmt::format(", {} button press(es)", wires.presses());

    if (probe_line) std::cerr << fmt::format("; {} readout(s) through the optical probe", probe_readouts);
    if (tcp) std::cerr << fmt::format("; {} client(s), {} refused while one was connected, {} closed idle", clients, refused, idle_closed);
    std::cerr << "\n";
    return code;
}

const bool registered = register_simulated_device({
    "cmi1020",
    "N CMi1020 slaves (each with its own E350 meter model) on one simulated bus, over\n"
    "TCP (raw M-Bus bytes, as through a CMe3000: one client at a time, a second is\n"
    "closed at once; an idle client is closed after --disconnect-timeout) or a pty.\n"
    "A frame the master stops sending half-way is dropped after the line has been\n"
    "silent for 33 bit times (at least 20 ms) on a pty, 500 ms over TCP.",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cmi1020Options>();
        c.add_option("--listen", o->listen, kListenHelp);
        c.add_option("--pty", o->pty, "create a pseudo-terminal and link its slave side at PATH");
        c.add_option("--disconnect-timeout", o->disconnect_timeout_s,
                     "TCP: close a client that sent or received no byte this long, s (decimals allowed;\n"
                     "CMe3000 Table 3 default; 0 = never)")
            ->capture_default_str();
        c.add_option("--count", o->count, "number of slaves on the bus (1..250)")->capture_default_str();
        c.add_option("--secondary", o->secondary, "8-digit identification number of the first slave; the next are consecutive");
        c.add_option("--address", o->address, "primary address of the first slave (the next get +1); 0 = factory default");
        c.add_option("--readout", o->readout_file,
                     "IEC 62056-21 readout file the meters answer with, with or without the wire framing\n"
                     "(checked at start; default: the real E350)");
        c.add_option("--state", o->state_dir, "directory for the slaves' persistent state (written atomically)");
        c.add_option("--baud", o->baud, "initial baud rate of the slaves")->capture_default_str();
        c.add_option("--fabrication", o->fabrication, "8-digit fabrication (label serial) number of the first slave")
            ->capture_default_str();
        c.add_option("--first-readout-ms", o->first_readout_ms, "time from power-on to the first meter readout, ms")
            ->capture_default_str();
        c.add_flag("--wire-timing", o->wire_timing, "delay replies by their transmission time at the slave's baud rate");
        c.add_option("--meter-fault", o->meter_fault,
                     fault_help("meter fault to inject (the E350 model; `metercert faults e350`)", devices::e350_fault_specs()))
            ->capture_default_str();
        c.add_option("--pcap", o->pcap, kPcapHelp);
        c.add_option("--power", o->power,
                     "a rig's wire for the supply of every slave: PATH:OUTPUT, a relay board's state file\n"
                     "and output (rigs/README.md 'Wires'; e.g. an emulated LCUS board's lcus.json:1). Off:\n"
                     "the slaves are silent; on again: each slave's power cycle (RAM lost, EEPROM kept)");
        c.add_option("--rate-inputs", o->rate_inputs,
                     "two wires WIRE_A,WIRE_B for the 230 VAC rate inputs A and B of every slave (§4.2.1)")
            ->delimiter(',')
            ->expected(2);
        c.add_option("--button", o->button,
                     "a rig's wire for the push button of every slave (on = pressed): a press toggles the\n"
                     "disconnector (§5.3: not within ~10 s of the last toggle); held on power-up and released\n"
                     "after >= 10 s: the factory defaults (§5.4)");

        c.add_option("--load", o->load_w,
                     "a load on every meter, W (0: none): its energy registers (1.8.0, the current tariff's,\n"
                     "15.8.0) grow on the simulator's clock, as the module's readouts and the probe see them")
            ->capture_default_str();
        c.add_option("--probe-pty", o->probe_pty,
                     "the first slave's E350 on its optical port: create a pseudo-terminal at PATH where the\n"
                     "meter answers an IEC 62056-21 mode C data readout (/?! → identification, ACK 0 Z 0 →\n"
                     "data message with BCC) with the readout the module reads, at the same moment (a rig's\n"
                     "probe role: rigs/README.md 'The optical probe'); --meter-fault damages it too");
        return [o] { return run(*o); };
    },
});

}  // namespace

}  // namespace metercert::cli
