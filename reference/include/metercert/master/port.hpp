// The bus port a master talks through (pure interface, no I/O here).
//
// A port sends one master frame and returns the reply window as the wire delivered it: a valid
// frame, silence (timeout), or bytes that form no valid frame (garbled: a collision, noise, a
// wrong checksum). Implementations live in rigs/ (serial, TCP, in-process simulated bus); the
// master algorithms in reference/master/ use only this interface, so the same code drives a
// simulator, a CMe3000 over TCP or a USB level converter.
//
// Timing (EN 13757-2): one character is 11 bit times (start, 8 data, even
// parity, stop). A slave answers no earlier than 11 bit times and no later than 330 bit times +
// 50 ms after the end of the master's frame. A port measures that gap for every reply.
//
// Time is the one clock (metercert/time.hpp): a port's now() is simulated (SimPort) or
// CLOCK_MONOTONIC (FdPort, read in rigs/); spans are Durations, to the µs.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mbus/error.hpp"
#include "metercert/time.hpp"

namespace metercert::master {

// One request and what came back within the reply window.
struct Exchange {
    enum class Outcome : std::uint8_t {
        frame,    // `bytes` is exactly one valid EN 13757-2 frame (ACK, short or long)
        timeout,  // no byte within the response timeout
        garbled,  // bytes arrived but form no valid frame; `error` names the link-layer reason
    };
    Outcome outcome = Outcome::timeout;
    std::vector<std::uint8_t> bytes;  // every reply byte received in the window
    mbus::DecodeError error{};        // for garbled
    Duration reply_gap{};             // end of the request's last byte → first reply byte
    bool parity_error = false;        // a serial port flagged a parity/framing error in the reply
    // When the reply's bytes arrived: {byte offset, time after the end of the request} for each
    // read that delivered bytes (a UART delivers bytes in bursts; a USB adapter batches them).
    struct Arrival {
        std::size_t offset = 0;
        Duration at{};
    };
    std::vector<Arrival> arrivals;
};
std::string_view outcome_name(Exchange::Outcome o) noexcept;  // "frame", "timeout", "garbled"

// A transport failure that ends the operation: the gateway closed the connection, the serial
// port disappeared, a write failed. `name()` is stable: connection_closed, port_lost,
// connect_failed, io_error.
class PortError : public std::runtime_error {
public:
    PortError(std::string name, const std::string& what) : std::runtime_error(what), name_(std::move(name)) {}
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
};

class BusPort {
public:
    virtual ~BusPort() = default;
    // Sends `request` (a whole frame) and collects the reply window: waits up to `timeout`
    // after the request's last byte for the first reply byte, then reads until a frame is
    // complete or the line stays idle. Throws PortError on a transport failure.
    virtual Exchange transact(std::span<const std::uint8_t> request, Duration timeout) = 0;
    // Sends a frame that gets no reply (broadcast to 255) and waits `settle` of bus time.
    virtual void send(std::span<const std::uint8_t> request, Duration settle) = 0;
    // Bus idle time (the CMe3100's idle times, §6.25.2). Simulated ports advance their clock.
    virtual void idle(Duration d) = 0;
    // Baud rate of the port's line; a master changes it after a baud switch is ACKed (§6.7.3).
    virtual void set_baud(unsigned baud) = 0;
    [[nodiscard]] virtual unsigned baud() const = 0;
    // The port's clock (monotonic; simulated for in-process ports).
    [[nodiscard]] virtual TimePoint now() const = 0;
    // Releases the line (closes a connection); later exchanges throw PortError. Default: nothing.
    virtual void close() {}
};

// Bus time of n characters at `baud` (11 bits per character), in ms, exact: a simulated line
// keeps its own clock in fractions of a bit (rigs/sim_port.hpp) and rounds at its interface.
inline double char_time_ms(std::size_t n, unsigned baud) noexcept {
    return static_cast<double>(n) * 11000.0 / static_cast<double>(baud);
}
// The same, to the µs.
inline Duration char_time(std::size_t n, unsigned baud) noexcept { return from_ms(char_time_ms(n, baud)); }
// The latest a slave may begin its reply after the master's frame: 330 bit times + 50 ms (to the
// µs: 187.5 ms at 2400 baud, 84.375 ms at 9600).
inline Duration max_response(unsigned baud) noexcept { return from_ms(330000.0 / static_cast<double>(baud) + 50.0); }
// The earliest: 11 bit times (to the µs: 4.583 ms at 2400 baud).
inline Duration min_response(unsigned baud) noexcept { return char_time(1, baud); }

}  // namespace metercert::master
