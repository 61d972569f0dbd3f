// SPDX-License-Identifier: Apache-2.0
#include "support/phi_corpus.hpp"

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmDicts.h>
#include <gdcmGlobal.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmWriter.h>

#include <cstdio>
#include <functional>
#include <stdexcept>

#include "dicom/anonymization.hpp"

namespace sbx::test {
namespace {

gdcm::Tag tag_of(std::uint32_t t) {
  return gdcm::Tag(static_cast<std::uint16_t>(t >> 16), static_cast<std::uint16_t>(t & 0xffff));
}

std::string hex8(std::uint32_t t) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", t);
  return buf;
}

gdcm::DataElement element(std::uint32_t tag, gdcm::VR vr, std::string value) {
  if (value.size() % 2) value.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
  gdcm::DataElement de(tag_of(tag));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<std::uint32_t>(value.size()));
  return de;
}

gdcm::DataElement sequence(std::uint32_t tag, const std::vector<gdcm::DataSet>& items) {
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = new gdcm::SequenceOfItems;
  sq->SetLengthToUndefined();
  for (const auto& ds : items) {
    gdcm::Item item;
    item.SetVLToUndefined();
    item.SetNestedDataSet(ds);
    sq->AddItem(item);
  }
  gdcm::DataElement de(tag_of(tag));
  de.SetVR(gdcm::VR::SQ);
  de.SetValue(*sq);
  de.SetVLToUndefined();
  return de;
}

std::string binary(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((seed * 31 + i * 7) & 0xff);
  return s;
}

/// Unique identifying values, one per call, shaped for the VR.
class phi_values {
 public:
  std::string for_vr(gdcm::VR vr, std::uint32_t tag) {
    const auto n = ++n_;
    const auto h = hex8(tag);
    char buf[64];
    switch (vr) {
      case gdcm::VR::UI:
        return "1.2.826.0.1.3680043.9.7777." + std::to_string(n);
      case gdcm::VR::DA:
        std::snprintf(buf, sizeof buf, "19%02u%02u%02u", n % 100, 1 + (n / 100) % 12, 10 + n % 18);
        return buf;
      case gdcm::VR::TM:
        std::snprintf(buf, sizeof buf, "10%02u%02u.%06u", (n / 60) % 60, n % 60, n);
        return buf;
      case gdcm::VR::DT:
        std::snprintf(buf, sizeof buf, "19%02u%02u%02u10%02u%02u.%06u", n % 100, 1 + (n / 100) % 12,
                      10 + n % 18, (n / 60) % 60, n % 60, n);
        return buf;
      case gdcm::VR::PN:
        return "PHI^N" + h + "^" + std::to_string(n);
      case gdcm::VR::SH:
      case gdcm::VR::CS:
        return "PHI" + h;
      case gdcm::VR::AS:
        return "042Y";
      case gdcm::VR::DS:
        return std::to_string(n) + ".5";
      case gdcm::VR::IS:
        return std::to_string(n);
      case gdcm::VR::US:
      case gdcm::VR::SS:
        return binary(2, n);
      case gdcm::VR::UL:
      case gdcm::VR::SL:
      case gdcm::VR::FL:
      case gdcm::VR::AT:
        return binary(4, n);
      case gdcm::VR::FD:
        return binary(8, n);
      case gdcm::VR::UR:
        return "http://phi.example/" + h + "/" + std::to_string(n);
      case gdcm::VR::OB:
      case gdcm::VR::OW:
      case gdcm::VR::UN:
      case gdcm::VR::OF:
      case gdcm::VR::OD:
      case gdcm::VR::OL:
        return "PHIBIN" + h + "-" + std::to_string(n) + (n % 2 ? "" : "_");
      default:
        return "PHI text " + h + " #" + std::to_string(n);
    }
  }

 private:
  unsigned n_ = 0;
};

/// The element's dictionary VR, reduced to one writable VR (LO when unknown).
gdcm::VR dictionary_vr(std::uint32_t tag) {
  const auto vr = gdcm::Global::GetInstance().GetDicts().GetDictEntry(tag_of(tag)).GetVR();
  if (vr & gdcm::VR::SQ) return gdcm::VR::SQ;
  if (vr & gdcm::VR::UI) return gdcm::VR::UI;
  if (vr & gdcm::VR::OB) return gdcm::VR::OB;
  if (vr & gdcm::VR::US) return gdcm::VR::US;
  if (vr & gdcm::VR::OW) return gdcm::VR::OW;
  for (const auto single :
       {gdcm::VR::AE, gdcm::VR::AS, gdcm::VR::AT, gdcm::VR::CS, gdcm::VR::DA, gdcm::VR::DS,
        gdcm::VR::DT, gdcm::VR::FD, gdcm::VR::FL, gdcm::VR::IS, gdcm::VR::LO, gdcm::VR::LT,
        gdcm::VR::PN, gdcm::VR::SH, gdcm::VR::SL, gdcm::VR::SS, gdcm::VR::ST, gdcm::VR::TM,
        gdcm::VR::UL, gdcm::VR::UT, gdcm::VR::UC, gdcm::VR::UR}) {
    if (vr == single) return single;
  }
  return gdcm::VR::LO;
}

/// An item holding PHI; below depth 3 also a kept and a removed sequence with deeper items.
gdcm::DataSet phi_item(phi_values& v, int depth) {
  gdcm::DataSet ds;
  auto add = [&](std::uint32_t tag, gdcm::VR vr) {
    ds.Insert(element(tag, vr, v.for_vr(vr, tag)));
  };
  add(0x00100010, gdcm::VR::PN);  // PatientName: Z
  add(0x00100020, gdcm::VR::LO);  // PatientID: Z
  add(0x00101000, gdcm::VR::LO);  // OtherPatientIDs: X
  add(0x00081155, gdcm::VR::UI);  // ReferencedSOPInstanceUID: U
  add(0x00080020, gdcm::VR::DA);  // StudyDate: Z, DATES K
  add(0x00080100, gdcm::VR::SH);  // CodeValue: not in the table
  add(0x00081030, gdcm::VR::LO);  // StudyDescription: X, DESC C
  if (depth < 3) {
    ds.Insert(sequence(0x0040A043, {phi_item(v, depth + 1)}));  // ConceptNameCodeSequence: kept
    ds.Insert(sequence(0x00101002, {phi_item(v, depth + 1)}));  // OtherPatientIDsSequence: X
  }
  return ds;
}

void write(gdcm::Reader& reader, const std::filesystem::path& out) {
  gdcm::Writer writer;
  writer.SetFile(reader.GetFile());
  writer.SetFileName(out.c_str());
  if (!writer.Write()) throw std::runtime_error("cannot write " + out.string());
}

void read_fixture(gdcm::Reader& reader) {
  reader.SetFileName(SBX_FIXTURES_DIR "/test.dcm");
  if (!reader.Read()) throw std::runtime_error("cannot read test.dcm");
}

void add_private_groups(gdcm::DataSet& ds, phi_values& v) {
  ds.Insert(element(0x00330010, gdcm::VR::LO, "PHI PRIVATE CREATOR 0033"));
  ds.Insert(element(0x00331001, gdcm::VR::LO, "PHI private text 00331001"));
  ds.Insert(sequence(0x00331002, {phi_item(v, 1)}));
  for (const auto safe : dicom::safe_private_tags()) {
    const auto group = safe >> 16;
    // Group 0019 already has test.dcm's creator ADAC_IMG in block 0x10.
    if (group != 0x0019) {
      const auto creator = (group << 16) | 0x0010;
      if (!ds.FindDataElement(tag_of(creator))) {
        ds.Insert(element(creator, gdcm::VR::LO, "PHI SAFE CREATOR " + hex8(group).substr(4)));
      }
    }
    const auto tag = (group << 16) | 0x1000 | (safe & 0xff);
    ds.Insert(element(tag, gdcm::VR::LO, "PHI safe " + hex8(tag)));
  }
}

void add_overlays_and_curves(gdcm::DataSet& ds) {
  for (const std::uint32_t g : {0x6000u, 0x6002u}) {
    ds.Insert(element(g << 16 | 0x0010, gdcm::VR::US, std::string("\x00\x01", 2)));
    ds.Insert(element(g << 16 | 0x0011, gdcm::VR::US, std::string("\x00\x01", 2)));
    ds.Insert(element(g << 16 | 0x0022, gdcm::VR::LO, "PHI overlay description " + hex8(g)));
    ds.Insert(element(g << 16 | 0x0040, gdcm::VR::CS, "G"));
    ds.Insert(element(g << 16 | 0x0050, gdcm::VR::SS, std::string("\x01\x00\x01\x00", 4)));
    ds.Insert(element(g << 16 | 0x0100, gdcm::VR::US, std::string("\x01\x00", 2)));
    ds.Insert(element(g << 16 | 0x0102, gdcm::VR::US, std::string("\x00\x00", 2)));
    std::string bits = "PHIOVERLAYDATA" + hex8(g);
    bits.resize(256 * 256 / 8, '\x55');
    ds.Insert(element(g << 16 | 0x3000, gdcm::VR::OW, bits));
    ds.Insert(element(g << 16 | 0x4000, gdcm::VR::LT, "PHI overlay comment " + hex8(g)));
  }
  ds.Insert(element(0x50000005, gdcm::VR::US, std::string("\x01\x00", 2)));
  ds.Insert(element(0x50000010, gdcm::VR::US, std::string("\x02\x00", 2)));
  ds.Insert(element(0x50000020, gdcm::VR::CS, "TAC"));
  ds.Insert(element(0x50002500, gdcm::VR::LO, "PHI curve label 5000"));
  ds.Insert(element(0x50003000, gdcm::VR::OW, "PHICURVEDATA5000"));
}

/// Every exact Appendix A tag that may appear in a stored dataset, with a PHI value.
void add_table_tags(gdcm::DataSet& ds, phi_values& v) {
  for (const auto& row : dicom::action_table()) {
    if (!row.exact()) continue;
    const auto group = row.tag >> 16;
    if (group == 0x0000 || group == 0x0002) continue;  // command and meta groups
    if (row.tag == 0xFFFCFFFC) {
      ds.Insert(element(row.tag, gdcm::VR::OB, "PHIPADDINGFFFC"));
      continue;
    }
    const gdcm::VR vr = row.tag == 0xFFFAFFFA ? gdcm::VR(gdcm::VR::SQ) : dictionary_vr(row.tag);
    if (vr == gdcm::VR::SQ) {
      ds.Replace(sequence(row.tag, {phi_item(v, 1), phi_item(v, 2)}));
    } else {
      ds.Replace(element(row.tag, vr, v.for_vr(vr, row.tag)));
    }
  }
}

}  // namespace

std::vector<phi_dataset> write_phi_corpus(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::vector<phi_dataset> out;
  phi_values v;

  {
    gdcm::Reader r;
    read_fixture(r);
    auto& ds = r.GetFile().GetDataSet();
    add_table_tags(ds, v);
    add_private_groups(ds, v);
    add_overlays_and_curves(ds);
    out.push_back({"full", dir / "full.dcm"});
    write(r, out.back().file);
  }
  {
    // Deep nesting under kept public sequences, and PHI sequences inside them.
    gdcm::Reader r;
    read_fixture(r);
    auto& ds = r.GetFile().GetDataSet();
    auto deep = phi_item(v, 1);
    deep.Insert(sequence(0x00081120, {phi_item(v, 2)}));      // ReferencedPatientSequence: X
    deep.Insert(sequence(0x00400275, {phi_item(v, 2)}));      // RequestAttributesSequence
    deep.Insert(sequence(0x00081140, {phi_item(v, 2)}));      // ReferencedImageSequence: X/Z/U*
    ds.Insert(sequence(0x00081032, {deep, phi_item(v, 1)}));  // ProcedureCodeSequence: kept
    ds.Insert(sequence(0x00101002, {phi_item(v, 1)}));
    ds.Insert(sequence(0x00400275, {phi_item(v, 1)}));
    ds.Insert(sequence(0x00081120, {phi_item(v, 1)}));
    ds.Insert(sequence(0x00700001, {phi_item(v, 1)}));  // GraphicAnnotationSequence: D
    ds.Insert(element(0x00101000, gdcm::VR::LO, "PHI-OTHER-ID-1\\PHI-OTHER-ID-2"));
    add_private_groups(ds, v);
    out.push_back({"nested", dir / "nested.dcm"});
    write(r, out.back().file);
  }
  {
    gdcm::Reader r;
    read_fixture(r);
    auto& ds = r.GetFile().GetDataSet();
    ds.Replace(element(0x00080005, gdcm::VR::CS, "ISO_IR 100"));
    ds.Replace(element(0x00100010, gdcm::VR::PN, "M\xFCller^J\xFCrgen"));
    ds.Replace(element(0x00080080, gdcm::VR::LO,
                       "Universit\xE4tsklinik S\xF6"
                       "der"));
    ds.Replace(element(0x00081090, gdcm::VR::LO,
                       "Gr\xF6\xDF"
                       "e \xC5"
                       "ngstr\xF6m"));
    gdcm::DataSet code;
    code.Insert(element(0x00080100, gdcm::VR::SH,
                        "C\xE9"
                        "1"));
    code.Insert(element(0x00080104, gdcm::VR::LO, "R\xF6ntgen Th\xF6rax"));
    ds.Insert(sequence(0x0040A043, {code}));
    out.push_back({"latin1", dir / "latin1.dcm"});
    write(r, out.back().file);
  }
  {
    gdcm::Reader r;
    read_fixture(r);
    auto& ds = r.GetFile().GetDataSet();
    ds.Replace(element(0x00120062, gdcm::VR::CS, "YES"));
    ds.Replace(element(0x00120063, gdcm::VR::LO, "PHI earlier method"));
    ds.Replace(element(0x00100010, gdcm::VR::PN, "PHI^Anonymous^Already"));
    out.push_back({"anonymous", dir / "anonymous.dcm"});
    write(r, out.back().file);
  }
  {
    gdcm::Reader r;
    read_fixture(r);
    auto& ds = r.GetFile().GetDataSet();
    ds.Remove(tag_of(0x00100010));
    ds.Replace(element(0x00100020, gdcm::VR::LO, ""));
    ds.Replace(element(0x0020000D, gdcm::VR::UI, ""));
    out.push_back({"blank_identity", dir / "blank_identity.dcm"});
    write(r, out.back().file);
  }
  return out;
}

std::vector<flat_element> read_flat(const std::filesystem::path& file) {
  gdcm::Reader reader;
  reader.SetFileName(file.c_str());
  if (!reader.Read()) throw std::runtime_error("GDCM cannot read " + file.string());
  std::vector<flat_element> out;
  std::function<void(const gdcm::DataSet&, const std::vector<std::uint32_t>&, const std::string&)>
      walk = [&](const gdcm::DataSet& ds, const std::vector<std::uint32_t>& path,
                 const std::string& prefix) {
        for (const auto& de : ds.GetDES()) {
          const auto& t = de.GetTag();
          const std::uint32_t tag = std::uint32_t{t.GetGroup()} << 16 | t.GetElement();
          flat_element f;
          f.tags = path;
          f.tags.push_back(tag);
          f.key = prefix + "(" + hex8(tag).insert(4, ",") + ")";
          f.vr = gdcm::VR::GetVRString(de.GetVR());
          if (de.IsEmpty()) {
            f.sequence = de.GetVR() == gdcm::VR::SQ;
          } else if (const auto* frags = de.GetSequenceOfFragments()) {
            for (unsigned i = 0; i < frags->GetNumberOfFragments(); ++i) {
              const auto* bv = frags->GetFragment(i).GetByteValue();
              if (bv) f.value.append(bv->GetPointer(), bv->GetLength());
            }
          } else if (de.GetVR() == gdcm::VR::SQ ||
                     dynamic_cast<const gdcm::SequenceOfItems*>(&de.GetValue())) {
            f.sequence = true;
            const auto sq = de.GetValueAsSQ();
            f.items = sq->GetNumberOfItems();
            out.push_back(f);
            for (std::size_t i = 1; i <= f.items; ++i) {
              walk(sq->GetItem(i).GetNestedDataSet(), f.tags,
                   f.key + "[" + std::to_string(i) + "]");
            }
            continue;
          } else if (const auto* bv = de.GetByteValue()) {
            f.value.assign(bv->GetPointer(), bv->GetLength());
          }
          out.push_back(f);
        }
      };
  walk(reader.GetFile().GetHeader(), {}, "");
  walk(reader.GetFile().GetDataSet(), {}, "");
  return out;
}

}  // namespace sbx::test
