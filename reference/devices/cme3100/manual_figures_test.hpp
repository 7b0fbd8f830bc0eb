// The CMe3100 manual's example files as printed, typed in from the figures once for every test
// that reads them (meter_list_test, key_file_test, csv_test).
#pragma once

namespace metercert::devices::cme3100::figures {

// §6.5 Figure 4/5: the Meter List header row (81 bytes with its LF) and Figure 5's three wired meters.
inline constexpr const char* kMeterListHeader =
    "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n";
inline constexpr const char* kFigure5Rows =
    "Cafeteria,13001651,2400,Secondary,,\n"
    "Sales office,14290591,2400,Primary,221,\n"
    "Reception,67690871,2400,Secondary,,\n";

// §6.15 Figure 8 exactly as printed (its rows 2, 5 and 6 have keys of 31, 33 and 31 characters).
inline constexpr const char* kFigure8 =
    "address,key,manufacturer,deviceType,version\n"
    "-1,AAAABBBCCCCDDDDEEEEFFFF11112222,*,-1,-1\n"
    "13360079,A1B2C3D4E5F6A1B2C3D4E5F678910111,ELV,-1,-1\n"
    "-1,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n"
    "-1,AAAA1111BBBB2222CCCC3333DDDD44444,ACA,-1,-1\n"
    "-1,9999AAAA888BBBB7777CCCC6666DDDD,ELV,-1,2\n";

}  // namespace metercert::devices::cme3100::figures
