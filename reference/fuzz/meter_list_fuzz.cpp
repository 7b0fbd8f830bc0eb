// libFuzzer target (run by ci/fuzz): CMe3100 Meter List import (CSV through libcsv). Properties:
//  - nothing but CsvError leaves import_meter_list; its row is >= 1 and its offset inside the file;
//  - an accepted list exports and re-imports to the same entries, without errors;
//  - every RowError names a row of the file.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "metercert/devices/cme3100/meter_list.hpp"

using namespace metercert::devices::cme3100;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    const std::size_t licence = size % 7;  // also exercises passive meters above the licence
    MeterListImport imp;
    try {
        imp = import_meter_list(in, licence);
    } catch (const CsvError& e) {
        if (e.row == 0 || e.offset > size || e.name.empty()) std::abort();
        return 0;
    }
    for (const auto& e : imp.errors)
        if (e.row == 0 || e.row > size + 1 || e.name.empty()) std::abort();
    MeterListImport again;
    try {
        again = import_meter_list(export_meter_list(imp.meters), licence);
    } catch (const CsvError&) {
        std::abort();  // our own export is not CSV
    }
    if (!again.errors.empty() || again.meters.size() != imp.meters.size()) std::abort();
    for (std::size_t i = 0; i < imp.meters.size(); ++i) {
        const auto &a = imp.meters[i], &b = again.meters[i];
        if (a.position != b.position || a.secondary != b.secondary || a.baud != b.baud || a.mode != b.mode ||
            a.primary != b.primary || a.enhanced != b.enhanced || a.passive != b.passive)
            std::abort();
    }
    return 0;
}
