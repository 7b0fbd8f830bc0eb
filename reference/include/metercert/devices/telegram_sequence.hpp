// The slave side of EN 13757-2's FCB/FCV rule for a multi-telegram reply (ERRATA E-19), shared by
// every reference slave (CMi1020, the CMe3100's Virtual M-Bus meters). Pure logic.
//
// FCV = 1: the first REQ_UD2 after a reset (power-on, SND_NKE, selection) returns the first
// telegram; a toggled FCB advances (wrapping after the last); an untoggled FCB repeats the
// previous reply byte for byte. FCV = 0: the FCB is not evaluated and the first telegram is sent.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace metercert::devices {

struct TelegramSequence {
    std::optional<bool> last_fcb;
    std::size_t index = 0;                // telegram sent last
    std::vector<std::uint8_t> last_reply;  // repeated on an untoggled FCB

    void reset() {
        last_fcb.reset();
        index = 0;
        last_reply.clear();
    }

    // A REQ_UD2 with C-field `c` over `count` telegrams: the index of the telegram to build (then
    // store it in last_reply), or nullopt to send last_reply again.
    std::optional<std::size_t> on_req_ud2(std::uint8_t c, std::size_t count) {
        const bool fcv = c & 0x10, fcb = c & 0x20;
        std::size_t next = 0;
        bool repeat = false;
        if (fcv && last_fcb) {
            if (fcb == *last_fcb) repeat = !last_reply.empty();
            else next = index + 1;
            if (next >= count) next = 0;
        }
        last_fcb = fcv ? std::optional<bool>(fcb) : std::nullopt;
        if (repeat) return std::nullopt;
        index = next;
        return next;
    }
};

}  // namespace metercert::devices
