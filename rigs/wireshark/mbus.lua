-- Wireshark / tshark dissector for metercert's M-Bus captures (LINKTYPE_USER0 = 147).
--
-- Packet = 8-byte pseudo-header (rigs/include/metercert/rigs/pcap.hpp) + the bytes of one burst:
--   version(1) direction(1: 0 master→slave, 1 slave→master) channel(1) flags(1) baud(4, BE)
-- then an EN 13757-2 frame: single character E5, short frame 10 C A CS 16, or control/long frame
-- 68 L L 68 C A CI [data] CS 16; for RSP_UD with a long (CI 72) or short (7A) header the EN 13757-3
-- header fields, then every data record as raw DIF, DIFE, VIF, VIFE and data bytes.
--
-- Use: tshark -X lua_script:rigs/wireshark/mbus.lua -r capture.pcap -V
--      (or copy it to ~/.local/lib/wireshark/plugins/)

local p = Proto("mbus", "M-Bus (EN 13757-2/-3, metercert)")

-- Wireshark 4.0 embeds Lua 5.2: no bitwise operators, but bit32.
local band, rshift = bit32.band, bit32.rshift

local dirs = { [0] = "master to slave", [1] = "slave to master" }
local f = {
  version = ProtoField.uint8("mbus.ph.version", "Pseudo-header version"),
  direction = ProtoField.uint8("mbus.ph.direction", "Direction", base.DEC, dirs),
  channel = ProtoField.uint8("mbus.ph.channel", "Channel"),
  flags = ProtoField.uint8("mbus.ph.flags", "Flags", base.HEX),
  parity = ProtoField.bool("mbus.ph.parity_error", "Parity/framing error", 8, nil, 0x01),
  garbled = ProtoField.bool("mbus.ph.garbled", "Not a valid frame", 8, nil, 0x02),
  redacted = ProtoField.bool("mbus.ph.redacted", "Secret bytes redacted (0x2A)", 8, nil, 0x04),
  baud = ProtoField.uint32("mbus.ph.baud", "Baud rate"),
  start = ProtoField.uint8("mbus.start", "Start", base.HEX),
  l = ProtoField.uint8("mbus.l", "L-field"),
  c = ProtoField.uint8("mbus.c", "C-field", base.HEX),
  c_name = ProtoField.string("mbus.c.name", "Function"),
  fcb = ProtoField.bool("mbus.c.fcb", "FCB/ACD", 8, nil, 0x20),
  fcv = ProtoField.bool("mbus.c.fcv", "FCV/DFC", 8, nil, 0x10),
  a = ProtoField.uint8("mbus.a", "A-field"),
  ci = ProtoField.uint8("mbus.ci", "CI-field", base.HEX),
  cs = ProtoField.uint8("mbus.cs", "Checksum", base.HEX),
  cs_ok = ProtoField.bool("mbus.cs.ok", "Checksum valid"),
  stop = ProtoField.uint8("mbus.stop", "Stop", base.HEX),
  id = ProtoField.string("mbus.id", "Identification number"),
  man = ProtoField.string("mbus.manufacturer", "Manufacturer"),
  version_f = ProtoField.uint8("mbus.version", "Version"),
  medium = ProtoField.uint8("mbus.medium", "Medium", base.HEX),
  access = ProtoField.uint8("mbus.access", "Access number"),
  status = ProtoField.uint8("mbus.status", "Status", base.HEX),
  signature = ProtoField.uint16("mbus.signature", "Signature", base.HEX),
  selection = ProtoField.bytes("mbus.selection", "Selection mask"),
  record = ProtoField.bytes("mbus.record", "Record"),
  dif = ProtoField.uint8("mbus.dif", "DIF", base.HEX),
  dife = ProtoField.uint8("mbus.dife", "DIFE", base.HEX),
  vif = ProtoField.uint8("mbus.vif", "VIF", base.HEX),
  vife = ProtoField.uint8("mbus.vife", "VIFE", base.HEX),
  data = ProtoField.bytes("mbus.data", "Data"),
  mdh = ProtoField.uint8("mbus.mdh", "Special function (DIF)", base.HEX),
  mfr = ProtoField.bytes("mbus.manufacturer_data", "Manufacturer specific data"),
}
local list = {}
for _, v in pairs(f) do list[#list + 1] = v end
p.fields = list

local function c_name(c)
  local fn = band(c, 0x0F)
  if band(c, 0x40) ~= 0 then
    if c == 0x40 then return "SND_NKE" end
    if fn == 0x3 then return "SND_UD" end
    if fn == 0xA then return "REQ_UD1" end
    if fn == 0xB then return "REQ_UD2" end
  else
    if fn == 0x8 then return "RSP_UD" end
  end
  return "unknown"
end

-- data field length of a DIF (EN 13757-3 Table 4); -1 = LVAR follows
local dlen = { [0] = 0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, 0 }

local function manufacturer(code)
  local a = band(rshift(code, 10), 0x1F) + 64
  local b = band(rshift(code, 5), 0x1F) + 64
  local c = band(code, 0x1F) + 64
  return string.char(a, b, c)
end

local function bcd_id(tvb, off)
  local s = ""
  for i = 3, 0, -1 do s = s .. string.format("%02X", tvb(off + i, 1):uint()) end
  return s
end

-- DIFE/VIFE chain after a byte whose bit 7 says "an extension follows"; returns the next offset
local function extensions(tvb, off, stop, first, field, tree)
  local ext = band(first, 0x80)
  while ext ~= 0 and off < stop do
    local e = tvb(off, 1):uint()
    tree:add(field, tvb(off, 1))
    off = off + 1
    ext = band(e, 0x80)
  end
  return off
end

local function records(tvb, off, stop, tree)
  while off < stop do
    local start = off
    local dif = tvb(off, 1):uint()
    if dif == 0x2F then -- idle filler
      off = off + 1
    elseif dif == 0x0F or dif == 0x1F then
      tree:add(f.mdh, tvb(off, 1))
      if stop > off + 1 then tree:add(f.mfr, tvb(off + 1, stop - off - 1)) end
      return
    else
      local rt = tree:add(f.record, tvb(off, 1)) -- range extended below
      rt:add(f.dif, tvb(off, 1))
      off = extensions(tvb, off + 1, stop, dif, f.dife, rt)
      if off >= stop then rt:set_len(off - start) return end
      local vif = tvb(off, 1):uint()
      rt:add(f.vif, tvb(off, 1))
      off = off + 1
      local text_len = 0
      if band(vif, 0x7F) == 0x7C and off < stop then -- plain-text VIF: length + text (CMi1020 layout)
        text_len = tvb(off, 1):uint()
        off = off + 1 + text_len
      end
      off = extensions(tvb, off, stop, vif, f.vife, rt)
      local n = dlen[band(dif, 0x0F)]
      if n < 0 and off < stop then
        local lvar = tvb(off, 1):uint()
        off = off + 1
        if lvar <= 0xBF then n = lvar
        elseif lvar <= 0xCF then n = lvar - 0xC0
        elseif lvar <= 0xDF then n = lvar - 0xD0
        elseif lvar <= 0xEF then n = lvar - 0xE0
        elseif lvar <= 0xFA then n = 4 * (lvar - 0xEC)
        else n = 0 end
      end
      if n < 0 then n = 0 end
      if off + n > stop then n = stop - off end
      if n > 0 then rt:add(f.data, tvb(off, n)) end
      off = off + n
      rt:set_len(off - start)
    end
  end
end

function p.dissector(tvb, pinfo, tree)
  if tvb:len() < 8 then return 0 end
  pinfo.cols.protocol = "M-Bus"
  local t = tree:add(p, tvb(), "M-Bus")
  local ph = t:add(p, tvb(0, 8), "metercert pseudo-header")
  ph:add(f.version, tvb(0, 1))
  ph:add(f.direction, tvb(1, 1))
  ph:add(f.channel, tvb(2, 1))
  local fl = ph:add(f.flags, tvb(3, 1))
  fl:add(f.parity, tvb(3, 1))
  fl:add(f.garbled, tvb(3, 1))
  fl:add(f.redacted, tvb(3, 1))
  ph:add(f.baud, tvb(4, 4))
  local dir = tvb(1, 1):uint() == 0 and "M→S" or "S→M"
  local n = tvb:len() - 8
  if n == 0 then return tvb:len() end
  local b = tvb(8):tvb()
  local s = b(0, 1):uint()
  t:add(f.start, b(0, 1))
  if s == 0xE5 and n == 1 then
    pinfo.cols.info = dir .. " ACK"
    return tvb:len()
  end
  local c_off, a_off, ci_off, data_end
  if s == 0x10 and n >= 5 then
    c_off, a_off = 1, 2
    data_end = 3
  elseif s == 0x68 and n >= 9 then
    local l = b(1, 1):uint()
    t:add(f.l, b(1, 1))
    c_off, a_off, ci_off = 4, 5, 6
    data_end = math.min(4 + l, n - 2)
  else
    pinfo.cols.info = dir .. " garbled (" .. n .. " bytes)"
    return tvb:len()
  end
  local c = b(c_off, 1):uint()
  local ct = t:add(f.c, b(c_off, 1))
  ct:add(f.fcb, b(c_off, 1))
  ct:add(f.fcv, b(c_off, 1))
  t:add(f.c_name, b(c_off, 1), c_name(c))
  t:add(f.a, b(a_off, 1))
  local info = string.format("%s %s A=%d", dir, c_name(c), b(a_off, 1):uint())
  if ci_off then
    local ci = b(ci_off, 1):uint()
    t:add(f.ci, b(ci_off, 1))
    info = info .. string.format(" CI=%02X", ci)
    local off = ci_off + 1
    if ci == 0x72 or ci == 0x76 then
      if data_end - off >= 12 then
        t:add(f.id, b(off, 4), bcd_id(b, off))
        t:add(f.man, b(off + 4, 2), manufacturer(b(off + 4, 2):le_uint()))
        t:add(f.version_f, b(off + 6, 1))
        t:add(f.medium, b(off + 7, 1))
        t:add(f.access, b(off + 8, 1))
        t:add(f.status, b(off + 9, 1))
        t:add_le(f.signature, b(off + 10, 2))
        info = info .. " ID=" .. bcd_id(b, off)
        off = off + 12
      end
      records(b, off, data_end, t)
    elseif ci == 0x7A then
      if data_end - off >= 4 then
        t:add(f.access, b(off, 1))
        t:add(f.status, b(off + 1, 1))
        t:add_le(f.signature, b(off + 2, 2))
        off = off + 4
      end
      records(b, off, data_end, t)
    elseif ci == 0x78 then
      records(b, off, data_end, t)
    elseif ci == 0x52 and data_end - off >= 4 then
      t:add(f.selection, b(off, data_end - off))
      info = info .. " select " .. bcd_id(b, off)
    elseif ci == 0x51 then
      records(b, off, data_end, t)
    end
  end
  local cs_pos = n - 2
  local sum = 0
  for i = (s == 0x68) and 4 or 1, cs_pos - 1 do sum = (sum + b(i, 1):uint()) % 256 end
  t:add(f.cs, b(cs_pos, 1))
  t:add(f.cs_ok, b(cs_pos, 1), sum == b(cs_pos, 1):uint())
  t:add(f.stop, b(n - 1, 1))
  if sum ~= b(cs_pos, 1):uint() then info = info .. " [bad checksum]" end
  pinfo.cols.info = info
  return tvb:len()
end

local encap = DissectorTable.get("wtap_encap")
local user0 = (wtap_encaps and wtap_encaps.USER0) or wtap.USER0
encap:add(user0, p)
