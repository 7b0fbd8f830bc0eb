// libFuzzer target (run by ci/fuzz): IEC 62056-21 readouts through parse_readout (the wire form)
// and normalize_readout (files in any accepted form). Properties beyond "no crash":
//  - a rejection is a ReadoutError with a documented name and a line/column inside the input;
//  - parse_readout accepts x  ⇒ render(parse(x)) parses to the same readout, and
//    normalize_readout(x) == x (the wire form is already canonical);
//  - normalize_readout accepts x  ⇒ its result parses, normalizes to itself, and is a readout the
//    CMi1020 reference accepts: the E350 model reads it (status ok, same lines) and the CMi1020
//    answers REQ_UD2 with a telegram that decodes.
// Each input is also run with the byte after its last ETX set to the right BCC, so that the
// fuzzer reaches the framed paths past the BCC check as easily as the bare ones.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "metercert/devices/cmi1020.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"
#include "metercert/obis/interpreter.hpp"
#include "metercert/obis/readout.hpp"

using namespace metercert;

namespace {

const std::set<std::string> kNames{"empty",         "not_text",          "too_long",         "bad_line_end",
                                   "missing_identification", "bad_identification", "missing_stx", "bad_data_line",
                                   "bad_obis_code", "unterminated_value", "missing_end",      "missing_etx",
                                   "missing_bcc",   "bad_bcc",           "no_data_lines",    "trailing_data"};

void check_error(const obis::ReadoutError& e, std::string_view in) {
    if (!kNames.count(e.name) || e.line == 0 || e.column == 0) std::abort();
    if (e.line > in.size() + 2 || e.column > in.size() + 2) std::abort();  // a position inside (or just past) the input
    if (std::string_view(e.what()).find(e.name) == std::string_view::npos) std::abort();
}

bool same_lines(const obis::Readout& a, const obis::Readout& b) {
    return a.manufacturer == b.manufacturer && a.baud_char == b.baud_char && a.identification == b.identification &&
           a.lines == b.lines;
}

void one(std::string_view in) {
    try {
        const obis::Readout r = obis::parse_readout(in);
        const obis::Readout again = obis::parse_readout(obis::render_readout(r));
        if (!same_lines(r, again)) std::abort();
        if (obis::normalize_readout(in) != in) std::abort();
    } catch (const obis::ReadoutError& e) {
        check_error(e, in);
    }
    std::string canonical;
    try {
        canonical = obis::normalize_readout(in);
    } catch (const obis::ReadoutError& e) {
        check_error(e, in);
        return;
    }
    obis::Readout r;
    try {
        r = obis::parse_readout(canonical);
        if (obis::normalize_readout(canonical) != canonical) std::abort();
    } catch (const obis::ReadoutError&) {
        std::abort();  // normalize_readout returned something the wire parser rejects
    }
    devices::E350 meter(canonical);
    if (meter.readout_bytes() != canonical) std::abort();
    const auto read = meter.read();
    if (read.status != devices::E350::ReadStatus::ok || !read.readout || !same_lines(*read.readout, r)) std::abort();
    (void)obis::interpret(r);
    devices::Cmi1020 slave(devices::Cmi1020Config{}, meter);
    slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});  // first readout
    const auto reply = slave.on_frame(mbus::build_short(0x5B, 0));
    if (!reply) std::abort();
    mbus::Telegram t;
    mbus::DecodeError err;
    if (!mbus::decode(*reply, t, err)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    one(in);
    // The same input with the BCC after the last ETX made right, so that the framed paths past
    // the BCC check are explored as often as the bare ones.
    const auto stx = in.find('\x02'), etx = in.rfind('\x03');
    if (stx != std::string_view::npos && etx != std::string_view::npos && stx < etx && etx + 1 < size) {
        std::string fixed(in);
        std::uint8_t x = 0;
        for (std::size_t i = stx + 1; i <= etx; ++i) x ^= static_cast<std::uint8_t>(fixed[i]);
        if (static_cast<std::uint8_t>(fixed[etx + 1]) != x) {
            fixed[etx + 1] = static_cast<char>(x);
            one(fixed);
        }
    }
    return 0;
}
