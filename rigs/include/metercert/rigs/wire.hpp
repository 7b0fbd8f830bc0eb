// Wires: the outputs of a relay board made visible to a simulated device. A relay board (an
// emulated one in CI: metercert.rig.emulated, see rigs/README.md "Wires") publishes the state of
// its outputs as a small JSON file it replaces atomically (write to a temporary file, rename) after
// every switch:
//
//   {"board": "lcus", "outputs": {"1": {"on": true, "changes": 3}, "2": {"on": false, "changes": 0}}}
//
// `on` is the output's state (a closed relay contact, an energised coil: the 230 VAC or the supply
// reaches the device), `changes` how often it has switched since the board started (so that a
// reader that polls between two switches still sees an off–on pulse it missed). A wire names one
// output of one board: "PATH:OUTPUT" (split at the last ':'), e.g. /tmp/rig/lcus.json:1.
// A simulator polls its wires on its host's timers and before each frame it handles
// (`simulate cmi1020 --power WIRE --rate-inputs WIRE_A,WIRE_B`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace metercert::rigs {

// A wire that cannot be read: what and where (the spec, the file, the output).
class WireError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct WireState {
    bool on = false;
    std::uint64_t changes = 0;
    friend bool operator==(const WireState&, const WireState&) = default;
};

class Wire {
public:
    // Parses "PATH:OUTPUT"; WireError for a spec without ':' or with an empty part.
    explicit Wire(const std::string& spec);

    // The output's state now. WireError when the file is missing or not a board state document
    // (not JSON, no "outputs" object) or has no such output (the error lists the outputs it has).
    [[nodiscard]] WireState read() const;
    // Like read(), but nullopt instead of an error (a board that is restarting, a file being
    // replaced): the caller keeps the last state it saw.
    [[nodiscard]] std::optional<WireState> poll() const noexcept;

    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
    [[nodiscard]] const std::string& output() const noexcept { return output_; }
    [[nodiscard]] std::string spec() const { return file_.string() + ":" + output_; }

private:
    std::filesystem::path file_;
    std::string output_;
};

}  // namespace metercert::rigs
