// A simulator as a child process: `metercert simulate DEVICE --listen tcp://127.0.0.1:0 OPTIONS…`
// (metercert DESIGN "Transports, simulators, rigs"). One mechanism for every simulator that is a
// process with a TCP port — the reference gateways behind sim:cme3000 and sim:cme3100, and the
// gateways a profile starts for each case with the files the case gives them.
//
// Started at construction and ready once it names the address it listens on: the readiness line,
// the first line of its stdout (one JSON object, rigs/sim_host.hpp; ready_address() is the one
// place that reads it). Its stderr and stdout are read on a thread all its life (a full pipe never
// blocks it); its stderr is kept as messages(). Stopped by stop() or the
// destructor: SIGTERM, then SIGKILL after the grace time. The child gets SIGTERM when the thread
// that started it ends (PR_SET_PDEATHSIG), so a killed run leaves no simulator behind.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::rigs {

struct SimulatorCommand {
    std::string device;                // "cme3000", "cme3100"
    std::vector<std::string> options;  // after `simulate DEVICE --listen tcp://127.0.0.1:0`
};

class SimulatorError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// $METERCERT_EXE when set, else this process's own executable (the `metercert` CLI).
std::string default_simulator_executable();

// The TCP address a simulator's readiness line (sim_host.hpp: {"event":"ready",…,"listen":[{"kind":
// "tcp","url":"tcp://127.0.0.1:40123"}],…}) says it listens on; nullopt for any other line.
std::optional<std::string> ready_address(std::string_view line);

class SimulatorProcess {
public:
    // Starts `executable simulate DEVICE --listen tcp://127.0.0.1:0 OPTIONS…` and waits until it
    // is ready. Throws SimulatorError when it cannot be started, exits first (its last messages
    // say why) or is not ready within `ready_timeout_ms`.
    SimulatorProcess(std::string executable, SimulatorCommand command, double ready_timeout_ms = 20000);
    ~SimulatorProcess();
    SimulatorProcess(const SimulatorProcess&) = delete;
    SimulatorProcess& operator=(const SimulatorProcess&) = delete;

    [[nodiscard]] const std::string& url() const noexcept { return url_; }  // tcp://127.0.0.1:PORT
    // Its readiness line as it said it (JSON: device, listen, identity).
    [[nodiscard]] const std::string& ready_json() const noexcept { return ready_json_; }
    [[nodiscard]] const SimulatorCommand& command() const noexcept { return command_; }
    [[nodiscard]] int pid() const noexcept { return pid_; }
    // Its stderr lines so far (without the line ends), the ones before it was ready first.
    [[nodiscard]] std::vector<std::string> messages() const;
    [[nodiscard]] bool running();
    // Stops it (SIGTERM; SIGKILL after `grace_ms`); returns its exit status (128 + signal when
    // killed by one; the status of an earlier stop when it already ended).
    int stop(double grace_ms = 10000);

private:
    struct Reader;
    void reap(int status);
    std::string executable_;
    SimulatorCommand command_;
    std::string url_;
    std::string ready_json_;
    int pid_ = -1;
    std::optional<int> status_;
    std::shared_ptr<Reader> reader_;
};

}  // namespace metercert::rigs
