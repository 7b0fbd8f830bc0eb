// Canonical decoded JSON (schema: vectors/README.md). One object per frame; keys in a fixed
// order, numbers as exact decimal strings, hex upper case. Third-party decoders are compared
// against this text with `metercert vectors --decoder`.
#pragma once

#include <string>

#include "metercert/mbus/telegram.hpp"

namespace metercert::mbus {

// Appends the canonical JSON of `t` to `out` (no trailing newline). Allocates only when `out`
// must grow.
void to_json(const Telegram& t, std::string& out);
std::string to_json(const Telegram& t);

// Appends the records part of the canonical JSON: `"records":[…]`, then `"special"` and
// `"manufacturer_data"` when DIF 0F/1F ended them, then `"violations"` when there are any — the
// same text to_json writes after the header (wireless M-Bus wraps it in its own layers).
void records_to_json(const Telegram& t, std::string& out);

}  // namespace metercert::mbus

namespace metercert::mbus {

// Builds the frame a canonical JSON object describes (the inverse of to_json): header fields,
// and per record `dif`, `vif`, `type` and `value` — the value is scaled back to the register
// exactly, so from_json(to_json(decode(b))) == b. Records whose value is null (BCD in error
// state, NaN) are taken from their `raw` bytes. Throws DecodeFailure(bad_model /
// value_out_of_range) with a JSON-pointer-like location in the detail.
std::vector<std::uint8_t> from_json(std::string_view json);

}  // namespace metercert::mbus
