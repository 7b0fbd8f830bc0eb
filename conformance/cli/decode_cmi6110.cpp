// `metercert decode --cmi6110 senml|json|mbus|lines [--json] PAYLOAD…`: the CMi6110's uplink payloads
// (manual §7.4.2), one output line (or table) per readout. Canonical JSON, one object per readout:
//   {"encoding":"senml","meter_id":"12345678","time":"2019-11-28T20:00:00Z","unix_time":1574971200,
//    "records":[…the records of wired M-Bus canonical JSON (vectors/README.md)…]}
// senml: the time is SenML's (UTC). json: "time" is TS (UTC, "…Z"), "format" standard|extended,
// the records are those of the M-Bus encoding of the same readout (the VIB of each is the coarsest
// that holds the value: ERRATA E-50). mbus: the Table 6 DIB list; "meter_time" is the meter's own
// date/time (DIB 1, type F: no time zone), "format" standard|extended.
// Payloads come as hex (senml, mbus) or text (json), one per argument or, without arguments, one
// per line of stdin (json: JSON Lines, or the whole input as one object).
// `--cmi6110 lines`: each argument or stdin line is "ENCODING PAYLOAD" (senml|json|mbus, a space,
// then the hex or the JSON object on one line) — the input `metercert vectors --cmi6110` feeds a
// decoder; an unknown encoding is `bad_encoding at byte 0`.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hex.hpp"
#include "metercert/devices/cmi6110/readout.hpp"
#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/mbus/json.hpp"

namespace metercert::cli {

namespace {

std::string utc(std::int64_t unix_s) {
    const std::chrono::sys_seconds t{std::chrono::seconds(unix_s)};
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

// The records of wired M-Bus canonical JSON (mbus::records_to_json) as a JSON value.
nlohmann::ordered_json records_json(const mbus::Telegram& t) {
    std::string s = "{";
    mbus::records_to_json(t, s);
    return nlohmann::ordered_json::parse(s + "}")["records"];
}

// Decodes one payload of `encoding` and prints its readouts; false, with one error line on stderr
// (prefixed by `where`), when it does not decode.
bool decode_one(const std::string& encoding, const std::string& line, const std::string& where, bool json) {
    if (encoding == "json" || encoding == "mbus") {
        devices::cmi6110::Readout r;
        devices::cmi6110::MessageFormat f{};
        std::string error;
        std::vector<std::uint8_t> bytes;
        mbus::DecodeError herr;
        if (encoding == "json") {
            devices::cmi6110::JsonError je;
            if (!devices::cmi6110::decode_json(line, r, f, je)) error = je.message();
        } else if (!parse_hex(line, bytes, herr)) {
            error = herr.message();
        } else {
            devices::cmi6110::MbusError me;
            if (!devices::cmi6110::decode_mbus(bytes, r, f, me)) error = me.message();
        }
        if (!error.empty()) {
            std::cerr << "error: " << where << error << "\n";
            return false;
        }
        mbus::Telegram t;
        mbus::DecodeError me;
        (void)mbus::decode_records(devices::cmi6110::encode_mbus(r, f), t, me);  // Table 6 records: they decode
        const std::string when = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}", r.time.year, r.time.month, r.time.day, r.time.hour,
                                             r.time.minute);
        const char* format = f == devices::cmi6110::MessageFormat::extended ? "extended" : "standard";
        const std::string id = fmt::format("{:08}", r.meter_id);
        if (json) {
            nlohmann::ordered_json o;
            o["encoding"] = encoding;
            o["format"] = format;
            o["meter_id"] = id;
            if (encoding == "json") o["time"] = when + ":00Z";
            else o["meter_time"] = when;
            o["records"] = records_json(t);
            std::cout << o.dump() << "\n";
        } else {
            fmt::print("readout  {}{}  meter {}  {} message\n", when, encoding == "json" ? "Z" : " (meter time)", id, format);
            print_records(t);
        }
        return true;
    }
    std::vector<std::uint8_t> bytes;
    mbus::DecodeError herr;
    if (!parse_hex(line, bytes, herr)) {
        std::cerr << "error: " << where << herr.message() << "\n";
        return false;
    }
    devices::cmi6110::SenmlPayload p;
    devices::cmi6110::SenmlError err;
    if (encoding != "senml" || !devices::cmi6110::decode_senml(bytes, p, err)) {
        std::cerr << "error: " << where << err.message() << "\n";
        return false;
    }
    for (std::size_t k = 0; k < p.readouts.size(); ++k) {
        const auto& r = p.readouts[k];
        mbus::Telegram t;
        mbus::DecodeError me;
        (void)mbus::decode_records(r.dibs, t, me);  // checked by decode_senml
        if (json) {
            nlohmann::ordered_json o;
            o["encoding"] = encoding;
            o["meter_id"] = p.meter_id;
            o["time"] = utc(r.time);
            o["unix_time"] = r.time;
            o["records"] = records_json(t);
            std::cout << o.dump() << "\n";
        } else {
            fmt::print("readout {}  {}  meter {}  ({} bytes of M-Bus records at byte {})\n", k + 1, utc(r.time), p.meter_id,
                       r.dibs.size(), r.dibs_offset);
            print_records(t);
        }
    }
    if (!json && !p.ignored.empty()) fmt::print("ignored records: {}\n", fmt::join(p.ignored, ", "));
    return true;
}

}  // namespace

int run_decode_cmi6110(const std::string& encoding, const std::vector<std::string>& payloads, bool json) {
    const bool by_line = encoding == "lines";  // each line: ENCODING PAYLOAD
    std::vector<std::string> lines = payloads;
    const bool from_stdin = lines.empty();
    if (from_stdin)
        for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    if (from_stdin && encoding == "json") {
        // JSON Lines (several lines that each open an object), else the whole input is one payload
        // (the manual's example spreads one object over several lines)
        std::size_t objects = 0;
        for (const auto& l : lines)
            if (const auto p = l.find_first_not_of(" \t\r"); p != std::string::npos && l[p] == '{') ++objects;
        if (objects <= 1) {
            std::string all;
            for (const auto& l : lines) all += l + "\n";
            lines = {all};
        }
    }
    int rc = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
        ++n;
        const std::string where = from_stdin ? fmt::format("line {}: ", i + 1) : (lines.size() > 1 ? fmt::format("argument {}: ", i + 1) : "");
        if (!by_line) {
            if (!decode_one(encoding, line, where, json)) rc = 2;
            continue;
        }
        // `metercert vectors --cmi6110`'s line: the encoding, one space or tab, the payload (JSON on one line)
        const auto sp = line.find_first_of(" \t", line.find_first_not_of(" \t"));
        const std::string enc = line.substr(line.find_first_not_of(" \t"), sp == std::string::npos ? std::string::npos : sp - line.find_first_not_of(" \t"));
        if (enc != "senml" && enc != "json" && enc != "mbus") {
            std::cerr << "error: " << where << "bad_encoding at byte 0: '" << enc.substr(0, 20)
                      << "' is none of senml, json, mbus (a line is ENCODING PAYLOAD)\n";
            rc = 2;
            continue;
        }
        std::string payload = sp == std::string::npos ? "" : line.substr(sp + 1);
        while (!payload.empty() && (payload.back() == '\r' || payload.back() == ' ' || payload.back() == '\t')) payload.pop_back();
        if (!decode_one(enc, payload, where, json)) rc = 2;
    }
    if (n == 0) {
        std::cerr << "error: empty_input at byte 0: no payload given\n";
        return 2;
    }
    return rc;
}

}  // namespace metercert::cli
