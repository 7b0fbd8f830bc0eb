// libFuzzer target (run by ci/fuzz): CMe3100 encryption key file import. Properties:
//  - nothing but CsvError leaves import_key_file; its row is >= 1 and its offset inside the file;
//  - no message (CsvError, RowError, KeyEntry::describe) holds key material: no run of 11 or more
//    hex digits (a field is quoted only up to 10 characters), whatever was typed where;
//  - match_key picks one of the imported keys, or none.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "metercert/devices/cme3100/key_file.hpp"

using namespace metercert::devices::cme3100;

namespace {
bool holds_key_material(std::string_view m) {
    std::size_t run = 0;
    for (char c : m) {
        run = std::isxdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
        if (run >= 11) return true;
    }
    return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    KeyFileImport imp;
    try {
        imp = import_key_file(in);
    } catch (const CsvError& e) {
        if (e.row == 0 || e.offset > size || e.name.empty() || holds_key_material(e.what())) std::abort();
        return 0;
    }
    for (const auto& e : imp.errors)
        if (e.row == 0 || holds_key_material(e.message())) std::abort();
    for (const auto& k : imp.keys)
        if (holds_key_material(k.describe())) std::abort();
    metercert::mbus::SecondaryAddress m;
    if (size >= 8) m = {static_cast<std::uint32_t>(data[0] | data[1] << 8 | data[2] << 16 | std::uint32_t{data[3]} << 24),
                        static_cast<std::uint16_t>(data[4] | data[5] << 8), data[7], data[6]};
    const KeyEntry* k = match_key(imp.keys, m);
    if (k && (k < imp.keys.data() || k >= imp.keys.data() + imp.keys.size())) std::abort();
    return 0;
}
