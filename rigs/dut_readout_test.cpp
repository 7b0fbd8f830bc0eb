// sim:cmi1020?readout=FILE: the file is checked when the DUT is opened — a missing file, a
// directory or an unreadable readout is a DutError naming the parameter (and line and column).
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "metercert/rigs/dut.hpp"

using namespace metercert::rigs;

namespace {
std::string message_of(const std::string& url) {
    try {
        open_dut(url, "");
        return "opened";
    } catch (const DutError& e) {
        return e.what();
    }
}
std::string write(const std::string& name, const std::string& bytes) {
    const auto p = std::filesystem::temp_directory_path() / ("metercert-dut-readout-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
}
}  // namespace

TEST(DutReadout, MissingFileDirectoryAndEmptyValue) {
    EXPECT_EQ(message_of("sim:cmi1020?readout=/nonexistent/x.readout"),
              "DUT URL 'sim:cmi1020?readout=/nonexistent/x.readout': readout=/nonexistent/x.readout: cannot be read (no such file)");
    const std::string dir = std::filesystem::temp_directory_path().string();
    EXPECT_EQ(message_of("sim:cmi1020?readout=" + dir),
              "DUT URL 'sim:cmi1020?readout=" + dir + "': readout=" + dir + ": is a directory, not a readout file");
    EXPECT_EQ(message_of("sim:cmi1020?readout="), "DUT URL 'sim:cmi1020?readout=': readout= needs a file");
}

TEST(DutReadout, UnparseableFileNamesLineAndColumn) {
    const std::string f = write("nul", std::string("1.8.0(1*kWh)\n2.8.0(\0)\n", 22));
    EXPECT_EQ(message_of("sim:cmi1020?readout=" + f),
              "DUT URL 'sim:cmi1020?readout=" + f + "': readout=" + f +
                  ": line 2, column 7: not_text: byte 0x00 (NUL) in a data line: a readout holds 7-bit printable "
                  "characters, CR LF line ends, STX and ETX");
    std::filesystem::remove(f);
}

TEST(DutReadout, BareDataBlockIsAccepted) {
    const std::string f = write("bare", "1.8.0(000123.456*kWh)\n");
    Dut d = open_dut("sim:cmi1020?readout=" + f, "");
    ASSERT_TRUE(d.bus);
    std::filesystem::remove(f);
}
