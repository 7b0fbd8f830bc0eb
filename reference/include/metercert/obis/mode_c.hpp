// IEC 62056-21 mode C, the tariff device's side: what a meter answers on its optical port to a
// probe's data readout (the E350 model behind `simulate cmi1020 --probe-pty`). Pure logic: bytes
// in, bytes out, no I/O, no clock (the caller resets it after a silence).
//
//   probe                               meter
//   /?!<CR><LF>            (300 Bd)  →
//                                    ←  /LGZ4ZMF100AC.M26<CR><LF>        identification (300 Bd)
//   <ACK>0Z0<CR><LF>       (300 Bd)  →                                   option select: data readout at Z
//                                    ←  <STX>…!<CR><LF><ETX><BCC>        data message (at Z)
//
// The request may carry a device address (`/?ADDR!`, up to 32 characters: IEC 62056-21 request
// message); this meter has none, so it answers any address, as a meter without an address does.
// Option select: V '0' (normal protocol), Z '0'…'6' no higher than the identification's baud
// character, Y '0' (data readout). Anything else — programming mode (Y '1'), an unknown V or Z, a
// Z above the meter's — is not answered and the meter waits for a new request at 300 Bd
// (ERRATA E-113). A request that arrives in any state starts over.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace metercert::obis {

class ModeCMeter {
public:
    // `answer` gives, when a request arrives, what the meter would send: a readout in its wire
    // form (identification line, STX … ETX BCC; obis::normalize_readout), possibly damaged on
    // purpose (a fault), or "" for a meter that does not answer at all.
    explicit ModeCMeter(std::function<std::string()> answer) : answer_(std::move(answer)) {}

    struct Reply {
        std::string bytes;      // to send now, at baud()'s rate before the reply (7-bit characters)
        unsigned baud = 300;    // the line's rate for these bytes
    };
    // Bytes the probe sent (parity removed). Returns what the meter sends in reply (possibly
    // nothing). After a data message the meter is back at 300 Bd, waiting for a request.
    Reply feed(std::string_view in);
    // Back to the start (300 Bd, waiting for a request): the caller's silence timeout
    // (IEC 62056-21: 1500 ms without a character).
    void reset() noexcept;

    enum class State { wait_request, wait_option_select };
    [[nodiscard]] State state() const noexcept { return state_; }
    [[nodiscard]] std::size_t readouts() const noexcept { return readouts_; }  // data messages sent

private:
    std::function<std::string()> answer_;
    State state_ = State::wait_request;
    std::string line_;     // the message being received, up to its LF
    std::string pending_;  // the answer taken at the request: its data block follows the option select
    char offered_ = '0';   // the identification's baud character
    std::size_t readouts_ = 0;
};

// The mode C baud rate of a baud character '0'…'6' (300 … 19200 Bd; IEC 62056-21 mode C table);
// 0 for any other character.
unsigned mode_c_baud(char z) noexcept;

}  // namespace metercert::obis
