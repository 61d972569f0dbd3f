// SPDX-License-Identifier: Apache-2.0
#include "dicom/anonymization.hpp"

#include <fcntl.h>
#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmDict.h>
#include <gdcmDicts.h>
#include <gdcmFileMetaInformation.h>
#include <gdcmGlobal.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "dicom/charset.hpp"
#include "dicom/dataset_header.hpp"
#include "dicom/in_memory.hpp"

namespace sbx::dicom {

namespace {

using o = confidentiality_option;
using a = deid_action;

constexpr std::array<option_info, 13> option_infos = {{
    {"BASIC_PROFILE", "Basic Profile", "Basic Profile", 10, true},
    {"CLEAN_PIXEL_DATA", "Clean Pixel Data", "Clean Pixel Data", 20, false},
    {"CLEAN_RECOGNIZABLE_VISUAL_FEATURES", "Clean Visual Features",
     "Clean Recognizable Visual Features", 30, false},
    {"CLEAN_GRAPHICS", "Clean Graphics", "Clean Graphics", 40, false},
    {"CLEAN_STRUCTURED_CONTENT", "Clean Structured Content", "Clean Structured Content", 50, false},
    {"CLEAN_DESCRIPTORS", "Clean Descriptors", "Clean Descriptors", 60, false},
    {"RETAIN_LONGITUDINAL_TEMPORAL_INFORMATION", "Retain Temporal Info",
     "Retain Longitudinal Temporal Information", 70, true},
    {"RETAIN_LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED_DATES", "Retain Modified Temporal Info",
     "Retain Longitudinal Temporal Information with Modified Dates", 80, false},
    {"RETAIN_PATIENT_CHARACTERISTICS", "Retain Patient Characteristics",
     "Retain Patient Characteristics", 90, true},
    {"RETAIN_DEVICE_IDENTITY", "Retain Device Identity", "Retain Device Identity", 100, true},
    {"RETAIN_INSTITUTION_IDENTITY", "Retain Institution Identity", "Retain Institution Identity",
     110, true},
    {"RETAIN_UIDS", "Retain UIDs", "Retain UIDs", 120, true},
    {"RETAIN_SAFE_PRIVATE", "Retain Safe Private Attributes", "Retain Safe Private Attributes", 130,
     true},
}};

constexpr std::array<confidentiality_option, 13> options_in_rank_order = {
    o::basic_profile,
    o::clean_pixel_data,
    o::clean_recognizable_visual_features,
    o::clean_graphics,
    o::clean_structured_content,
    o::clean_descriptors,
    o::retain_longitudinal_temporal_information,
    o::retain_longitudinal_temporal_information_modified_dates,
    o::retain_patient_characteristics,
    o::retain_device_identity,
    o::retain_institution_identity,
    o::retain_uids,
    o::retain_safe_private,
};

// The action table: PS3.15 2018d Table E.1-1 as Slicebox 2.1.1 uses it (docs/api.md#profiles).
constexpr action_table_row table_rows[] = {
    {0x00001000,
     0xFFFFFFFF,
     "Affected SOP Instance UID",
     2,
     {{{o::basic_profile, a::x}, {o::retain_uids, a::k}}}},
    {0x00001001,
     0xFFFFFFFF,
     "Requested SOP Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00010000,
     0x00010000,
     "Private attributes",
     2,
     {{{o::basic_profile, a::x}, {o::retain_safe_private, a::c}}}},
    {0x00020003,
     0xFFFFFFFF,
     "Media Storage SOP Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00041511,
     0xFFFFFFFF,
     "Referenced SOP Instance UID in File",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00080014,
     0xFFFFFFFF,
     "Instance Creator UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00080015,
     0xFFFFFFFF,
     "Instance Coercion DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080018,
     0xFFFFFFFF,
     "SOP Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00080020,
     0xFFFFFFFF,
     "Study Date",
     3,
     {{{o::basic_profile, a::z},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080021,
     0xFFFFFFFF,
     "Series Date",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080022,
     0xFFFFFFFF,
     "Acquisition Date",
     3,
     {{{o::basic_profile, a::x_z},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080023,
     0xFFFFFFFF,
     "Content Date",
     3,
     {{{o::basic_profile, a::z_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080024,
     0xFFFFFFFF,
     "Overlay Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080025,
     0xFFFFFFFF,
     "Curve Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x0008002A,
     0xFFFFFFFF,
     "Acquisition DateTime",
     3,
     {{{o::basic_profile, a::x_z_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080030,
     0xFFFFFFFF,
     "Study Time",
     3,
     {{{o::basic_profile, a::z},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080031,
     0xFFFFFFFF,
     "Series Time",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080032,
     0xFFFFFFFF,
     "Acquisition Time",
     3,
     {{{o::basic_profile, a::x_z},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080033,
     0xFFFFFFFF,
     "Content Time",
     3,
     {{{o::basic_profile, a::z_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080034,
     0xFFFFFFFF,
     "Overlay Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080035,
     0xFFFFFFFF,
     "Curve Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00080050, 0xFFFFFFFF, "Accession Number", 1, {{{o::basic_profile, a::z}}}},
    {0x00080058,
     0xFFFFFFFF,
     "Failed SOP Instance UID List",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00080080,
     0xFFFFFFFF,
     "Institution Name",
     2,
     {{{o::basic_profile, a::x_z_d}, {o::retain_institution_identity, a::k}}}},
    {0x00080081,
     0xFFFFFFFF,
     "Institution Address",
     2,
     {{{o::basic_profile, a::x}, {o::retain_institution_identity, a::k}}}},
    {0x00080082,
     0xFFFFFFFF,
     "Institution Code Sequence",
     2,
     {{{o::basic_profile, a::x_z_d}, {o::retain_institution_identity, a::k}}}},
    {0x00080090, 0xFFFFFFFF, "Referring Physician's Name", 1, {{{o::basic_profile, a::z}}}},
    {0x00080092, 0xFFFFFFFF, "Referring Physician's Address", 1, {{{o::basic_profile, a::x}}}},
    {0x00080094,
     0xFFFFFFFF,
     "Referring Physician's Telephone Numbers",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00080096,
     0xFFFFFFFF,
     "Referring Physician Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x0008009C, 0xFFFFFFFF, "Consulting Physician's Name", 1, {{{o::basic_profile, a::z}}}},
    {0x0008009D,
     0xFFFFFFFF,
     "Consulting Physician Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00080201,
     0xFFFFFFFF,
     "Timezone Offset From UTC",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00081010,
     0xFFFFFFFF,
     "Station Name",
     2,
     {{{o::basic_profile, a::x_z_d}, {o::retain_device_identity, a::k}}}},
    {0x00081030,
     0xFFFFFFFF,
     "Study Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x0008103E,
     0xFFFFFFFF,
     "Series Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00081040,
     0xFFFFFFFF,
     "Institutional Department Name",
     2,
     {{{o::basic_profile, a::x}, {o::retain_institution_identity, a::k}}}},
    {0x00081048, 0xFFFFFFFF, "Physician(s) of Record", 1, {{{o::basic_profile, a::x}}}},
    {0x00081049,
     0xFFFFFFFF,
     "Physician(s) of Record Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00081050, 0xFFFFFFFF, "Performing Physicians' Name", 1, {{{o::basic_profile, a::x}}}},
    {0x00081052,
     0xFFFFFFFF,
     "Performing Physician Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00081060, 0xFFFFFFFF, "Name of Physician(s) Reading Study", 1, {{{o::basic_profile, a::x}}}},
    {0x00081062,
     0xFFFFFFFF,
     "Physician(s) Reading Study Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00081070, 0xFFFFFFFF, "Operators' Name", 1, {{{o::basic_profile, a::x_z_d}}}},
    {0x00081072,
     0xFFFFFFFF,
     "Operators' Identification Sequence",
     1,
     {{{o::basic_profile, a::x_d}}}},
    {0x00081080,
     0xFFFFFFFF,
     "Admitting Diagnoses Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00081084,
     0xFFFFFFFF,
     "Admitting Diagnoses Code Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00081110,
     0xFFFFFFFF,
     "Referenced Study Sequence",
     2,
     {{{o::basic_profile, a::x_z}, {o::retain_uids, a::k}}}},
    {0x00081111,
     0xFFFFFFFF,
     "Referenced Performed Procedure Step Sequence",
     2,
     {{{o::basic_profile, a::x_z_d}, {o::retain_uids, a::k}}}},
    {0x00081120,
     0xFFFFFFFF,
     "Referenced Patient Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::retain_uids, a::x}}}},
    {0x00081140,
     0xFFFFFFFF,
     "Referenced Image Sequence",
     2,
     {{{o::basic_profile, a::x_z_u}, {o::retain_uids, a::k}}}},
    {0x00081155,
     0xFFFFFFFF,
     "Referenced SOP Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00081195,
     0xFFFFFFFF,
     "Transaction UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00082111,
     0xFFFFFFFF,
     "Derivation Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00082112,
     0xFFFFFFFF,
     "Source Image Sequence",
     2,
     {{{o::basic_profile, a::x_z_u}, {o::retain_uids, a::k}}}},
    {0x00083010,
     0xFFFFFFFF,
     "Irradiation Event UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00084000,
     0xFFFFFFFF,
     "Identifying Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00100010, 0xFFFFFFFF, "Patient's Name", 1, {{{o::basic_profile, a::z}}}},
    {0x00100020, 0xFFFFFFFF, "Patient ID", 1, {{{o::basic_profile, a::z}}}},
    {0x00100021, 0xFFFFFFFF, "Issuer of Patient ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00100030, 0xFFFFFFFF, "Patient's Birth Date", 1, {{{o::basic_profile, a::z}}}},
    {0x00100032, 0xFFFFFFFF, "Patient's Birth Time", 1, {{{o::basic_profile, a::x}}}},
    {0x00100040,
     0xFFFFFFFF,
     "Patient's Sex",
     2,
     {{{o::basic_profile, a::z}, {o::retain_patient_characteristics, a::k}}}},
    {0x00100050,
     0xFFFFFFFF,
     "Patient's Insurance Plan Code Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00100101,
     0xFFFFFFFF,
     "Patient's Primary Language Code Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00100102,
     0xFFFFFFFF,
     "Patient's Primary Language Modifier Code Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00101000, 0xFFFFFFFF, "Other Patient IDs", 1, {{{o::basic_profile, a::x}}}},
    {0x00101001, 0xFFFFFFFF, "Other Patient Names", 1, {{{o::basic_profile, a::x}}}},
    {0x00101002, 0xFFFFFFFF, "Other Patient IDs Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x00101005, 0xFFFFFFFF, "Patient's Birth Name", 1, {{{o::basic_profile, a::x}}}},
    {0x00101010,
     0xFFFFFFFF,
     "Patient's Age",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x00101020,
     0xFFFFFFFF,
     "Patient's Size",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x00101030,
     0xFFFFFFFF,
     "Patient's Weight",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x00101040, 0xFFFFFFFF, "Patient Address", 1, {{{o::basic_profile, a::x}}}},
    {0x00101050, 0xFFFFFFFF, "Insurance Plan Identification", 1, {{{o::basic_profile, a::x}}}},
    {0x00101060, 0xFFFFFFFF, "Patient's Mother's Birth Name", 1, {{{o::basic_profile, a::x}}}},
    {0x00101080, 0xFFFFFFFF, "Military Rank", 1, {{{o::basic_profile, a::x}}}},
    {0x00101081, 0xFFFFFFFF, "Branch of Service", 1, {{{o::basic_profile, a::x}}}},
    {0x00101090, 0xFFFFFFFF, "Medical Record Locator", 1, {{{o::basic_profile, a::x}}}},
    {0x00101100, 0xFFFFFFFF, "Referenced Patient Photo Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x00102000,
     0xFFFFFFFF,
     "Medical Alerts",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00102110,
     0xFFFFFFFF,
     "Allergies",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_patient_characteristics, a::c},
       {o::clean_descriptors, a::c}}}},
    {0x00102150, 0xFFFFFFFF, "Country of Residence", 1, {{{o::basic_profile, a::x}}}},
    {0x00102152, 0xFFFFFFFF, "Region of Residence", 1, {{{o::basic_profile, a::x}}}},
    {0x00102154, 0xFFFFFFFF, "Patient's Telephone Numbers", 1, {{{o::basic_profile, a::x}}}},
    {0x00102155, 0xFFFFFFFF, "Patient's Telecom Information", 1, {{{o::basic_profile, a::x}}}},
    {0x00102160,
     0xFFFFFFFF,
     "Ethnic Group",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x00102180,
     0xFFFFFFFF,
     "Occupation",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x001021A0,
     0xFFFFFFFF,
     "Smoking Status",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x001021B0,
     0xFFFFFFFF,
     "Additional Patient's History",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x001021C0,
     0xFFFFFFFF,
     "Pregnancy Status",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::k}}}},
    {0x001021D0,
     0xFFFFFFFF,
     "Last Menstrual Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x001021F0, 0xFFFFFFFF, "Patient's Religious Preference", 1, {{{o::basic_profile, a::x}}}},
    {0x00102203,
     0xFFFFFFFF,
     "Patient Sex Neutered",
     2,
     {{{o::basic_profile, a::x_z}, {o::retain_patient_characteristics, a::k}}}},
    {0x00102297, 0xFFFFFFFF, "Responsible Person", 1, {{{o::basic_profile, a::x}}}},
    {0x00102299, 0xFFFFFFFF, "Responsible Organization", 1, {{{o::basic_profile, a::x}}}},
    {0x00104000,
     0xFFFFFFFF,
     "Patient Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00180010,
     0xFFFFFFFF,
     "Contrast Bolus Agent",
     2,
     {{{o::basic_profile, a::z_d}, {o::clean_descriptors, a::c}}}},
    {0x00181000,
     0xFFFFFFFF,
     "Device Serial Number",
     2,
     {{{o::basic_profile, a::x_z_d}, {o::retain_device_identity, a::k}}}},
    {0x00181002,
     0xFFFFFFFF,
     "Device UID",
     3,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}, {o::retain_device_identity, a::k}}}},
    {0x00181004,
     0xFFFFFFFF,
     "Plate ID",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00181005,
     0xFFFFFFFF,
     "Generator ID",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00181007,
     0xFFFFFFFF,
     "Cassette ID",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00181008,
     0xFFFFFFFF,
     "Gantry ID",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00181030,
     0xFFFFFFFF,
     "Protocol Name",
     2,
     {{{o::basic_profile, a::x_d}, {o::clean_descriptors, a::c}}}},
    {0x00181400,
     0xFFFFFFFF,
     "Acquisition Device Processing Description",
     2,
     {{{o::basic_profile, a::x_d}, {o::clean_descriptors, a::c}}}},
    {0x00182042, 0xFFFFFFFF, "Target UID", 2, {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00184000,
     0xFFFFFFFF,
     "Acquisition Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x0018700A,
     0xFFFFFFFF,
     "Detector ID",
     2,
     {{{o::basic_profile, a::x_d}, {o::retain_device_identity, a::k}}}},
    {0x00189185,
     0xFFFFFFFF,
     "Respiratory Motion Compensation Technique Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00189424,
     0xFFFFFFFF,
     "Acquisition Protocol Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00189516,
     0xFFFFFFFF,
     "Start Acquisition DateTime",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00189517,
     0xFFFFFFFF,
     "End Acquisition DateTime",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x0018A003,
     0xFFFFFFFF,
     "Contribution Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x0020000D,
     0xFFFFFFFF,
     "Study Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x0020000E,
     0xFFFFFFFF,
     "Series Instance UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00200010, 0xFFFFFFFF, "Study ID", 1, {{{o::basic_profile, a::z}}}},
    {0x00200052,
     0xFFFFFFFF,
     "Frame of Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00200200,
     0xFFFFFFFF,
     "Synchronization Frame of Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00203401, 0xFFFFFFFF, "Modifying Device ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00203406, 0xFFFFFFFF, "Modified Image Description", 1, {{{o::basic_profile, a::x}}}},
    {0x00204000,
     0xFFFFFFFF,
     "Image Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00209158,
     0xFFFFFFFF,
     "Frame Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00209161,
     0xFFFFFFFF,
     "Concatenation UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00209164,
     0xFFFFFFFF,
     "Dimension Organization UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00281199,
     0xFFFFFFFF,
     "Palette Color Lookup Table UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00281214,
     0xFFFFFFFF,
     "Large Palette Color Lookup Table UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00284000, 0xFFFFFFFF, "Image Presentation Comments", 1, {{{o::basic_profile, a::x}}}},
    {0x00320012, 0xFFFFFFFF, "Study ID Issuer", 1, {{{o::basic_profile, a::x}}}},
    {0x00321020,
     0xFFFFFFFF,
     "Scheduled Study Location",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00321021,
     0xFFFFFFFF,
     "Scheduled Study Location AE Title",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00321030,
     0xFFFFFFFF,
     "Reason for Study",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00321032, 0xFFFFFFFF, "Requesting Physician", 1, {{{o::basic_profile, a::x}}}},
    {0x00321033, 0xFFFFFFFF, "Requesting Service", 1, {{{o::basic_profile, a::x}}}},
    {0x00321060,
     0xFFFFFFFF,
     "Requested Procedure Description",
     2,
     {{{o::basic_profile, a::x_z}, {o::clean_descriptors, a::c}}}},
    {0x00321070,
     0xFFFFFFFF,
     "Requested Contrast Agent",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00324000,
     0xFFFFFFFF,
     "Study Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00380004, 0xFFFFFFFF, "Referenced Patient Alias Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x00380010, 0xFFFFFFFF, "Admission ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00380011, 0xFFFFFFFF, "Issuer of Admission ID", 1, {{{o::basic_profile, a::x}}}},
    {0x0038001E,
     0xFFFFFFFF,
     "Scheduled Patient Institution Residence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00380020,
     0xFFFFFFFF,
     "Admitting Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00380021,
     0xFFFFFFFF,
     "Admitting Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00380040,
     0xFFFFFFFF,
     "Discharge Diagnosis Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00380050,
     0xFFFFFFFF,
     "Special Needs",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::c}}}},
    {0x00380060, 0xFFFFFFFF, "Service Episode ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00380061, 0xFFFFFFFF, "Issuer of Service Episode ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00380062,
     0xFFFFFFFF,
     "Service Episode Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00380300, 0xFFFFFFFF, "Current Patient Location", 1, {{{o::basic_profile, a::x}}}},
    {0x00380400, 0xFFFFFFFF, "Patient's Institution Residence", 1, {{{o::basic_profile, a::x}}}},
    {0x00380500,
     0xFFFFFFFF,
     "Patient State",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_patient_characteristics, a::c},
       {o::clean_descriptors, a::c}}}},
    {0x00384000,
     0xFFFFFFFF,
     "Visit Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00400001,
     0xFFFFFFFF,
     "Scheduled Station AE Title",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00400002,
     0xFFFFFFFF,
     "Scheduled Procedure Step Start Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400003,
     0xFFFFFFFF,
     "Scheduled Procedure Step Start Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400004,
     0xFFFFFFFF,
     "Scheduled Procedure Step End Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400005,
     0xFFFFFFFF,
     "Scheduled Procedure Step End Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400006,
     0xFFFFFFFF,
     "Scheduled Performing Physician Name",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00400007,
     0xFFFFFFFF,
     "Scheduled Procedure Step Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x0040000B,
     0xFFFFFFFF,
     "Scheduled Performing Physician Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00400010,
     0xFFFFFFFF,
     "Scheduled Station Name",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00400011,
     0xFFFFFFFF,
     "Scheduled Procedure Step Location",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00400012,
     0xFFFFFFFF,
     "Pre-Medication",
     2,
     {{{o::basic_profile, a::x}, {o::retain_patient_characteristics, a::c}}}},
    {0x00400241,
     0xFFFFFFFF,
     "Performed Station AE Title",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00400242,
     0xFFFFFFFF,
     "Performed Station Name",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00400243, 0xFFFFFFFF, "Performed Location", 1, {{{o::basic_profile, a::x}}}},
    {0x00400244,
     0xFFFFFFFF,
     "Performed Procedure Step Start Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400245,
     0xFFFFFFFF,
     "Performed Procedure Step Start Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400250,
     0xFFFFFFFF,
     "Performed Procedure Step End Date",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400251,
     0xFFFFFFFF,
     "Performed Procedure Step End Time",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00400253, 0xFFFFFFFF, "Performed Procedure Step ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00400254,
     0xFFFFFFFF,
     "Performed Procedure Step Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00400275,
     0xFFFFFFFF,
     "Request Attributes Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00400280,
     0xFFFFFFFF,
     "Comments on the Performed Procedure Step",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00400555,
     0xFFFFFFFF,
     "Acquisition Context Sequence",
     2,
     {{{o::basic_profile, a::x_z}, {o::clean_structured_content, a::c}}}},
    {0x00401001, 0xFFFFFFFF, "Requested Procedure ID", 1, {{{o::basic_profile, a::x}}}},
    {0x00401004, 0xFFFFFFFF, "Patient Transport Arrangements", 1, {{{o::basic_profile, a::x}}}},
    {0x00401005, 0xFFFFFFFF, "Requested Procedure Location", 1, {{{o::basic_profile, a::x}}}},
    {0x00401010,
     0xFFFFFFFF,
     "Names of Intended Recipient of Results",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00401011,
     0xFFFFFFFF,
     "Intended Recipients of Results Identification Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00401101,
     0xFFFFFFFF,
     "Person Identification Code Sequence",
     1,
     {{{o::basic_profile, a::d}}}},
    {0x00401102, 0xFFFFFFFF, "Person Address", 1, {{{o::basic_profile, a::x}}}},
    {0x00401103, 0xFFFFFFFF, "Person's Telephone Numbers", 1, {{{o::basic_profile, a::x}}}},
    {0x00401104, 0xFFFFFFFF, "Person's Telecom Information", 1, {{{o::basic_profile, a::x}}}},
    {0x00401400,
     0xFFFFFFFF,
     "Requested Procedure Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00402001,
     0xFFFFFFFF,
     "Reason for the Imaging Service Request",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00402008, 0xFFFFFFFF, "Order Entered By", 1, {{{o::basic_profile, a::x}}}},
    {0x00402009, 0xFFFFFFFF, "Order Enterer Location", 1, {{{o::basic_profile, a::x}}}},
    {0x00402010, 0xFFFFFFFF, "Order Callback Phone Number", 1, {{{o::basic_profile, a::x}}}},
    {0x00402011, 0xFFFFFFFF, "Order Callback Telecom Information", 1, {{{o::basic_profile, a::x}}}},
    {0x00402016,
     0xFFFFFFFF,
     "Placer Order Number / Imaging Service Request",
     1,
     {{{o::basic_profile, a::z}}}},
    {0x00402017,
     0xFFFFFFFF,
     "Filler Order Number / Imaging Service Request",
     1,
     {{{o::basic_profile, a::z}}}},
    {0x00402400,
     0xFFFFFFFF,
     "Imaging Service Request Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x00403001,
     0xFFFFFFFF,
     "Confidentiality Constraint on Patient Data Description",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00404005,
     0xFFFFFFFF,
     "Scheduled Procedure Step Start DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404008,
     0xFFFFFFFF,
     "Scheduled Procedure Step Expiration DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404010,
     0xFFFFFFFF,
     "Scheduled Procedure Step Modification DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404011,
     0xFFFFFFFF,
     "Expected Completion DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404023,
     0xFFFFFFFF,
     "Referenced General Purpose Scheduled Procedure Step Transaction UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00404025,
     0xFFFFFFFF,
     "Scheduled Station Name Code Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00404027,
     0xFFFFFFFF,
     "Scheduled Station Geographic Location Code Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00404028,
     0xFFFFFFFF,
     "Performed Station Name Code Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00404030,
     0xFFFFFFFF,
     "Performed Station Geographic Location Code Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x00404034,
     0xFFFFFFFF,
     "Scheduled Human Performers Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x00404035, 0xFFFFFFFF, "Actual Human Performers Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x00404036, 0xFFFFFFFF, "Human Performers Organization", 1, {{{o::basic_profile, a::x}}}},
    {0x00404037, 0xFFFFFFFF, "Human Performers Name", 1, {{{o::basic_profile, a::x}}}},
    {0x00404050,
     0xFFFFFFFF,
     "Performed Procedure Step Start DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404051,
     0xFFFFFFFF,
     "Performed Procedure Step End DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x00404052,
     0xFFFFFFFF,
     "Procedure Step Cancellation DateTime",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x0040A027, 0xFFFFFFFF, "Verifying Organization", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A073, 0xFFFFFFFF, "Verifying Observer Sequence", 1, {{{o::basic_profile, a::d}}}},
    {0x0040A075, 0xFFFFFFFF, "Verifying Observer Name", 1, {{{o::basic_profile, a::d}}}},
    {0x0040A078, 0xFFFFFFFF, "Author Observer Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A07A, 0xFFFFFFFF, "Participant Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A07C, 0xFFFFFFFF, "Custodial Organization Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A088,
     0xFFFFFFFF,
     "Verifying Observer Identification Code Sequence",
     1,
     {{{o::basic_profile, a::z}}}},
    {0x0040A123, 0xFFFFFFFF, "Person Name", 1, {{{o::basic_profile, a::d}}}},
    {0x0040A124, 0xFFFFFFFF, "UID", 1, {{{o::basic_profile, a::u}}}},
    {0x0040A171,
     0xFFFFFFFF,
     "Observation UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x0040A172,
     0xFFFFFFFF,
     "Referenced Observation UID (Trial)",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x0040A192,
     0xFFFFFFFF,
     "Observation Date (Trial)",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x0040A193,
     0xFFFFFFFF,
     "Observation Time (Trial)",
     3,
     {{{o::basic_profile, a::x},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x0040A307, 0xFFFFFFFF, "Current Observer (Trial)", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A352, 0xFFFFFFFF, "Verbal Source (Trial)", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A353, 0xFFFFFFFF, "Address (Trial)", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A354, 0xFFFFFFFF, "Telephone Number (Trial)", 1, {{{o::basic_profile, a::x}}}},
    {0x0040A358,
     0xFFFFFFFF,
     "Verbal Source Identifier Code Sequence (Trial)",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x0040A402,
     0xFFFFFFFF,
     "Observation Subject UID (Trial)",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x0040A730,
     0xFFFFFFFF,
     "Content Sequence",
     2,
     {{{o::basic_profile, a::x}, {o::clean_structured_content, a::c}}}},
    {0x0040DB0C,
     0xFFFFFFFF,
     "Template Extension Organization UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x0040DB0D,
     0xFFFFFFFF,
     "Template Extension Creator UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00620021,
     0xFFFFFFFF,
     "Tracking UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00700001,
     0xFFFFFFFF,
     "Graphic Annotation Sequence",
     2,
     {{{o::basic_profile, a::d}, {o::clean_graphics, a::c}}}},
    {0x00700084, 0xFFFFFFFF, "Content Creator's Name", 1, {{{o::basic_profile, a::z}}}},
    {0x00700086,
     0xFFFFFFFF,
     "Content Creator's Identification Code Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x0070031A,
     0xFFFFFFFF,
     "Fiducial UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00701101,
     0xFFFFFFFF,
     "Presentation Display Collection UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00701102,
     0xFFFFFFFF,
     "Presentation Sequence Collection UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00880140,
     0xFFFFFFFF,
     "Storage Media File-set UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x00880200, 0xFFFFFFFF, "Icon Image Sequence(see Note 12)", 1, {{{o::basic_profile, a::x}}}},
    {0x00880904, 0xFFFFFFFF, "Topic Title", 1, {{{o::basic_profile, a::x}}}},
    {0x00880906, 0xFFFFFFFF, "Topic Subject", 1, {{{o::basic_profile, a::x}}}},
    {0x00880910, 0xFFFFFFFF, "Topic Author", 1, {{{o::basic_profile, a::x}}}},
    {0x00880912, 0xFFFFFFFF, "Topic Keywords", 1, {{{o::basic_profile, a::x}}}},
    {0x04000100, 0xFFFFFFFF, "Digital Signature UID", 1, {{{o::basic_profile, a::x}}}},
    {0x04000402,
     0xFFFFFFFF,
     "Referenced Digital Signature Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x04000403,
     0xFFFFFFFF,
     "Referenced SOP Instance MAC Sequence",
     1,
     {{{o::basic_profile, a::x}}}},
    {0x04000404, 0xFFFFFFFF, "MAC", 1, {{{o::basic_profile, a::x}}}},
    {0x04000550, 0xFFFFFFFF, "Modified Attributes Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x04000561, 0xFFFFFFFF, "Original Attributes Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x04000600, 0xFFFFFFFF, "Instance Origin Status", 1, {{{o::basic_profile, a::x}}}},
    {0x20300020, 0xFFFFFFFF, "Text String", 1, {{{o::basic_profile, a::x}}}},
    {0x30060024,
     0xFFFFFFFF,
     "Referenced Frame of Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x300600C2,
     0xFFFFFFFF,
     "Related Frame of Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x30080054,
     0xFFFFFFFF,
     "First Treatment Date",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x30080056,
     0xFFFFFFFF,
     "Most Recent Treatment Date",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x30080105,
     0xFFFFFFFF,
     "Source Serial Number",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x30080250,
     0xFFFFFFFF,
     "Treatment Date",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x30080251,
     0xFFFFFFFF,
     "Treatment Time",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x300A0002,
     0xFFFFFFFF,
     "RT Plan Label",
     2,
     {{{o::basic_profile, a::d}, {o::clean_descriptors, a::c}}}},
    {0x300A0003,
     0xFFFFFFFF,
     "RT Plan Name",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0004,
     0xFFFFFFFF,
     "RT Plan Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0006,
     0xFFFFFFFF,
     "RT Plan Date",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x300A0007,
     0xFFFFFFFF,
     "RT Plan Time",
     3,
     {{{o::basic_profile, a::x_d},
       {o::retain_longitudinal_temporal_information, a::k},
       {o::retain_longitudinal_temporal_information_modified_dates, a::c}}}},
    {0x300A000E,
     0xFFFFFFFF,
     "Prescription Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0013,
     0xFFFFFFFF,
     "Dose Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x300A0016,
     0xFFFFFFFF,
     "Dose Reference Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0072,
     0xFFFFFFFF,
     "Fraction Group Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0083,
     0xFFFFFFFF,
     "Referenced Dose Reference UID",
     2,
     {{{o::basic_profile, a::u}, {o::retain_uids, a::k}}}},
    {0x300A00B2,
     0xFFFFFFFF,
     "Treatment Machine Name",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x300A00C3,
     0xFFFFFFFF,
     "Beam Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A00DD,
     0xFFFFFFFF,
     "Bolus Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0196,
     0xFFFFFFFF,
     "Fixation Device Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A01A6,
     0xFFFFFFFF,
     "Shielding Device Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A01B2,
     0xFFFFFFFF,
     "Setup- Technique Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300A0216,
     0xFFFFFFFF,
     "Source Manufacturer",
     2,
     {{{o::basic_profile, a::x}, {o::retain_device_identity, a::k}}}},
    {0x300A02EB,
     0xFFFFFFFF,
     "Compensator Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300C0113,
     0xFFFFFFFF,
     "Reason for Omission Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x300E0008, 0xFFFFFFFF, "Reviewer Name", 1, {{{o::basic_profile, a::x_z}}}},
    {0x40000010, 0xFFFFFFFF, "Arbitrary", 1, {{{o::basic_profile, a::x}}}},
    {0x40004000, 0xFFFFFFFF, "Text Comments", 1, {{{o::basic_profile, a::x}}}},
    {0x40080042, 0xFFFFFFFF, "Results ID Issuer", 1, {{{o::basic_profile, a::x}}}},
    {0x40080102, 0xFFFFFFFF, "Interpretation Recorder", 1, {{{o::basic_profile, a::x}}}},
    {0x4008010A, 0xFFFFFFFF, "Interpretation Transcriber", 1, {{{o::basic_profile, a::x}}}},
    {0x4008010B,
     0xFFFFFFFF,
     "Interpretation Text",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x4008010C, 0xFFFFFFFF, "Interpretation Author", 1, {{{o::basic_profile, a::x}}}},
    {0x40080111, 0xFFFFFFFF, "Interpretation Approver Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x40080114, 0xFFFFFFFF, "Physician Approving Interpretation", 1, {{{o::basic_profile, a::x}}}},
    {0x40080115,
     0xFFFFFFFF,
     "Interpretation Diagnosis Description",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x40080118, 0xFFFFFFFF, "Results Distribution List Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0x40080119, 0xFFFFFFFF, "Distribution Name", 1, {{{o::basic_profile, a::x}}}},
    {0x4008011A, 0xFFFFFFFF, "Distribution Address", 1, {{{o::basic_profile, a::x}}}},
    {0x40080202, 0xFFFFFFFF, "Interpretation ID Issuer", 1, {{{o::basic_profile, a::x}}}},
    {0x40080300,
     0xFFFFFFFF,
     "Impressions",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x40084000,
     0xFFFFFFFF,
     "Results Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_descriptors, a::c}}}},
    {0x50000000,
     0xFF000000,
     "Curve Data",
     2,
     {{{o::basic_profile, a::x}, {o::clean_graphics, a::c}}}},
    {0x60003000,
     0xFF00FFFF,
     "Overlay Data",
     2,
     {{{o::basic_profile, a::x}, {o::clean_graphics, a::c}}}},
    {0x60004000,
     0xFF00FFFF,
     "Overlay Comments",
     2,
     {{{o::basic_profile, a::x}, {o::clean_graphics, a::c}}}},
    {0xFFFAFFFA, 0xFFFFFFFF, "Digital Signatures Sequence", 1, {{{o::basic_profile, a::x}}}},
    {0xFFFCFFFC, 0xFFFFFFFF, "Data Set Trailing Padding", 1, {{{o::basic_profile, a::x}}}},
};

// Appendix B (PS3.15 2018d Table E.3.10-1): GGGG00EE, matched with safe_private_mask.
constexpr std::uint32_t safe_private[] = {
    0x70530000, 0x70530009, 0x00E10021, 0x01E10026, 0x01E10050, 0x01F10001, 0x01F10007, 0x01F10026,
    0x01F10027, 0x00190023, 0x00190024, 0x00190027, 0x0019009E, 0x00430027, 0x00450001, 0x00450002,
    0x09030010, 0x09030011, 0x09030012, 0x20010003, 0x20010004, 0x0019000C, 0x0019000D, 0x0019000E,
    0x00430039, 0x0043006F, 0x00250007, 0x7E010001, 0x7E010002, 0x7E010010, 0x7E010011, 0x7E010012,
    0x00990001, 0x00990002, 0x00990004, 0x00990005, 0x00990010, 0x00990020, 0x00990021, 0x01990001,
    0x01990002, 0x01990003, 0x01990004, 0x01990005, 0x01990006, 0x01990007, 0x01990008, 0x01990009,
    0x0199000A, 0x0199000B, 0x0199000C, 0x0199000D, 0x0199000E, 0x0199000F, 0x01990010, 0x01990011,
    0x01990012, 0x01990013, 0x01990014, 0x01990015, 0x01990016, 0x02990001, 0x02990002, 0x02990003,
    0x02990004, 0x02990005, 0x02990006, 0x02990007, 0x02990008, 0x02990009, 0x0299000A, 0x0299000B,
    0x0299000C, 0x0299000D, 0x0299000E, 0x0299000F, 0x02990010, 0x02990011, 0x02990012, 0x02990013,
    0x02990014, 0x02990015, 0x02990016, 0x2005000D, 0x2005000E, 0x01190000, 0x01190001, 0x01190002,
    0x01190003, 0x01190004, 0x01190005, 0x01190006, 0x01190007, 0x01190008, 0x01190009, 0x01190010,
    0x01190011, 0x01190012, 0x01190013, 0x01190021, 0x01290000, 0x01290002, 0x01290003, 0x01290004,
    0x01290005, 0x01290006, 0x01290007, 0x01290008, 0x01290009, 0x01290010, 0x01290011, 0x01290012,
    0x01290020, 0x01290021, 0x01290022, 0x01290029, 0x01290030, 0x01390001, 0x01490001, 0x01490002,
    0x01490003, 0x7FD10001, 0x7FD10009, 0x7FD10010, 0x7FD10011,
};

/// One option's rules: exact tags, and masked entries in table order.
struct option_rules {
  std::unordered_map<std::uint32_t, deid_action> exact;
  std::vector<action_table_row> masked;  // only tag, mask and the option's action are used
};

const std::array<option_rules, 13>& rules() {
  static const auto built = [] {
    std::array<option_rules, 13> r;
    for (const auto& row : table_rows) {
      for (int i = 0; i < row.column_count; ++i) {
        const auto [opt, act] = row.columns[static_cast<std::size_t>(i)];
        // RETAIN_SAFE_PRIVATE's column is replaced by the safe private tags (PS3.15 Table
        // E.3.10-1), as in Slicebox (docs/api.md#profiles).
        if (opt == o::retain_safe_private) continue;
        auto& rr = r[static_cast<std::size_t>(opt)];
        if (row.exact()) {
          rr.exact.insert_or_assign(row.tag, act);  // the later row wins, as in Slicebox
        } else {
          rr.masked.push_back({row.tag, row.mask, row.name, 1, {{{opt, act}}}});
        }
      }
    }
    for (const auto t : safe_private) {
      r[static_cast<std::size_t>(o::retain_safe_private)].masked.push_back(
          {t, safe_private_mask, "Safe private attribute", 1, {{{o::retain_safe_private, a::k}}}});
    }
    return r;
  }();
  return built;
}

// ---------------------------------------------------------------------------------------------
// Dataset transformation
// ---------------------------------------------------------------------------------------------

std::uint32_t tag_value(const gdcm::Tag& t) {
  return (std::uint32_t{t.GetGroup()} << 16) | t.GetElement();
}

const gdcm::Tag specific_character_set(0x0008, 0x0005);
const gdcm::Tag sop_instance_uid(0x0008, 0x0018);
const gdcm::Tag patient_name(0x0010, 0x0010);
const gdcm::Tag patient_id(0x0010, 0x0020);
const gdcm::Tag study_instance_uid(0x0020, 0x000d);
const gdcm::Tag series_instance_uid(0x0020, 0x000e);
const gdcm::Tag patient_identity_removed(0x0012, 0x0062);
const gdcm::Tag deidentification_method(0x0012, 0x0063);
const gdcm::Tag media_storage_sop_instance_uid(0x0002, 0x0003);
const gdcm::Tag transfer_syntax_uid(0x0002, 0x0010);
constexpr std::uint32_t pixel_data_tag = 0x7FE00010;

/// The element's VR; implicit-VR files carry none, so public tags fall back to the dictionary.
gdcm::VR vr_of(const gdcm::DataElement& de) {
  const auto vr = de.GetVR();
  if (vr != gdcm::VR::INVALID && vr != gdcm::VR::UN) return vr;
  if (de.GetTag().IsPrivate()) return vr;
  const auto& entry = gdcm::Global::GetInstance().GetDicts().GetDictEntry(de.GetTag());
  return entry.GetVR();
}

bool is_text_vr(gdcm::VR vr) {
  return vr == gdcm::VR::SH || vr == gdcm::VR::LO || vr == gdcm::VR::ST || vr == gdcm::VR::LT ||
         vr == gdcm::VR::UT || vr == gdcm::VR::PN || vr == gdcm::VR::UC;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::string value_of(const gdcm::DataElement& de) {
  const auto* bv = de.GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr) return {};
  return std::string(bv->GetPointer(), bv->GetLength());
}

/// Sets the value, padded to even length with the VR's padding byte.
void set_value(gdcm::DataElement& de, std::string v, char pad) {
  if (v.size() % 2) v.push_back(pad);
  de.SetByteValue(v.data(), static_cast<std::uint32_t>(v.size()));
}

void put(gdcm::DataSet& ds, const gdcm::Tag& t, gdcm::VR vr, std::string v) {
  gdcm::DataElement de(t);
  if (ds.FindDataElement(t)) de = ds.GetDataElement(t);
  if (de.GetVR() == gdcm::VR::INVALID) de.SetVR(vr);
  set_value(de, std::move(v), vr == gdcm::VR::UI ? '\0' : ' ');
  ds.Replace(de);
}

/// Converts text values to UTF-8; values in the default repertoire are left byte-identical.
class utf8_converter {
 public:
  explicit utf8_converter(std::string_view charset) : decoder_(charset) {}

  /// The UTF-8 form of `bytes`, or nullopt if nothing changes.
  std::optional<std::string> convert(std::string_view bytes) const {
    if (std::all_of(bytes.begin(), bytes.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\x1b'; })) {
      return std::nullopt;
    }
    return decoder_.decode(bytes);
  }

 private:
  text_decoder decoder_;
};

struct transformer {
  const std::vector<confidentiality_option>& profile;
  const utf8_converter& converter;

  /// Applies the profile to every element of `ds` and, recursively, of its sequences' items.
  void apply(gdcm::DataSet& ds) const {
    std::vector<gdcm::DataElement> elements(ds.GetDES().begin(), ds.GetDES().end());
    for (auto de : elements) {
      const auto& tag = de.GetTag();
      if (tag.GetElement() == 0x0000 && tag.GetGroup() != 0x0002) {
        ds.Remove(tag);
        continue;
      }
      const auto action = action_for(tag_value(tag), profile);
      const auto effect = action ? effect_of(*action) : deid_effect::keep;
      switch (effect) {
        case deid_effect::remove:
          ds.Remove(tag);
          continue;
        case deid_effect::new_uid:
          set_value(de, new_uid(), '\0');
          ds.Replace(de);
          continue;
        case deid_effect::empty:
          de.Empty();
          ds.Replace(de);
          continue;
        case deid_effect::keep:
          break;
      }
      const auto vr = vr_of(de);
      if (auto sq = sequence_of(de, vr)) {
        for (gdcm::SequenceOfItems::SizeType i = 1; i <= sq->GetNumberOfItems(); ++i) {
          auto& item = sq->GetItem(i);
          apply(item.GetNestedDataSet());
          item.SetVLToUndefined();
        }
        sq->SetLengthToUndefined();
        de.SetValue(*sq);
        de.SetVLToUndefined();
        ds.Replace(de);
      } else if (is_text_vr(vr)) {
        if (auto utf8 = converter.convert(value_of(de))) {
          set_value(de, std::move(*utf8), ' ');
          ds.Replace(de);
        }
      } else if (tag == specific_character_set) {
        put(ds, tag, gdcm::VR::CS, "ISO_IR 192");
      }
    }
  }

  static gdcm::SmartPointer<gdcm::SequenceOfItems> sequence_of(const gdcm::DataElement& de,
                                                               gdcm::VR vr) {
    if (de.IsEmpty()) return nullptr;
    if (vr == gdcm::VR::SQ ||
        dynamic_cast<const gdcm::SequenceOfItems*>(&de.GetValue()) != nullptr) {
      return de.GetValueAsSQ();
    }
    return nullptr;
  }
};

bool is_empty_value(const gdcm::DataSet& ds, const gdcm::Tag& t) {
  return !ds.FindDataElement(t) || trim(value_of(ds.GetDataElement(t))).empty();
}

/// A file descriptor, closed with its owner.
struct descriptor {
  explicit descriptor(int f) : fd(f) {}
  ~descriptor() {
    if (fd >= 0) ::close(fd);
  }
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;
  int fd;
};

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// Appends bytes [offset, end) of `from` to `to`: in the kernel where the file systems allow,
/// else through a buffer.
bool copy_range(int from, off_t offset, off_t end, int to) {
  while (offset < end) {
    const auto n =
        ::copy_file_range(from, &offset, to, nullptr, static_cast<std::size_t>(end - offset), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;  // the file shrank
    break;                     // not supported here (e.g. across file systems): copy it ourselves
  }
  std::vector<char> buffer(1 << 18);
  while (offset < end) {
    const auto n =
        ::pread(from, buffer.data(),
                static_cast<std::size_t>(std::min<off_t>(end - offset, 1 << 18)), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || !write_all(to, buffer.data(), static_cast<std::size_t>(n))) return false;
    offset += n;
  }
  return true;
}

/// True if a mapping sets a value at or after the pixel data.
bool reaches_pixel_data(const std::vector<tag_mapping>& mappings) {
  return std::any_of(mappings.begin(), mappings.end(), [](const auto& m) {
    return !m.path.empty() && m.path.front().tag >= pixel_data_tag;
  });
}

}  // namespace

const option_info& info(confidentiality_option opt) {
  return option_infos[static_cast<std::size_t>(opt)];
}

std::span<const confidentiality_option> all_options() { return options_in_rank_order; }

std::optional<confidentiality_option> parse_option(std::string_view name) {
  for (const auto opt : options_in_rank_order) {
    if (info(opt).name == name) return opt;
  }
  return std::nullopt;
}

deid_effect effect_of(deid_action act) {
  switch (act) {
    case a::x:
    case a::x_z:
    case a::x_d:
    case a::x_z_d:
    case a::x_z_u:
      return deid_effect::remove;
    case a::z:
    case a::d:
    case a::z_d:
    case a::c:
      return deid_effect::empty;
    case a::u:
      return deid_effect::new_uid;
    case a::k:
      break;
  }
  return deid_effect::keep;
}

std::string_view action_code(deid_action act) {
  static constexpr std::array<std::string_view, 11> codes = {
      "X", "X/Z", "X/D", "X/Z/D", "X/Z/U*", "Z", "D", "Z/D", "C", "U", "K"};
  return codes[static_cast<std::size_t>(act)];
}

std::optional<deid_action> action_table_row::action_of(confidentiality_option opt) const {
  for (int i = 0; i < column_count; ++i) {
    if (columns[static_cast<std::size_t>(i)].option == opt) {
      return columns[static_cast<std::size_t>(i)].action;
    }
  }
  return std::nullopt;
}

std::span<const action_table_row> action_table() { return table_rows; }

std::span<const std::uint32_t> safe_private_tags() { return safe_private; }

std::optional<deid_action> action_for(std::uint32_t tag,
                                      const std::vector<confidentiality_option>& profile) {
  std::vector<confidentiality_option> by_rank = profile;
  std::sort(by_rank.begin(), by_rank.end(),
            [](auto l, auto r) { return info(l).rank > info(r).rank; });
  const auto& all = rules();
  std::optional<std::pair<int, deid_action>> exact;
  std::optional<std::pair<int, deid_action>> masked;
  for (const auto opt : by_rank) {
    const auto& r = all[static_cast<std::size_t>(opt)];
    if (!exact) {
      if (const auto it = r.exact.find(tag); it != r.exact.end()) {
        exact = {info(opt).rank, it->second};
      }
    }
    if (!masked) {
      for (const auto& row : r.masked) {
        if (row.matches(tag)) {
          masked = {info(opt).rank, row.columns[0].action};
          break;
        }
      }
    }
  }
  if (exact && masked) return exact->first > masked->first ? exact->second : masked->second;
  if (exact) return exact->second;
  if (masked) return masked->second;
  return std::nullopt;
}

std::string new_uid() {
  thread_local std::random_device random;
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < b.size(); i += 4) {
    const auto r = random();
    for (std::size_t j = 0; j < 4; ++j) b[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  __extension__ using u128 = unsigned __int128;
  u128 v = 0;
  for (const auto byte : b) v = (v << 8) | byte;
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

struct anonymized_image::state {
  std::filesystem::path source;
  bool was_anonymous = false;
  bool unchanged = false;
  std::unique_ptr<gdcm::Reader> reader = std::make_unique<gdcm::Reader>();  // owns the dataset
  /// Where the source's pixel data starts when `reader` holds all the rest: the pixel data is
  /// then copied to the output as it is instead of going through GDCM.
  std::optional<std::uint64_t> pixel_data_offset;
  std::map<std::uint32_t, std::string> real;
  std::map<std::uint32_t, std::string> anonymized;
};

anonymized_image::anonymized_image(const std::filesystem::path& in,
                                   const std::vector<confidentiality_option>& profile,
                                   bool strip_identity_removed)
    : state_(std::make_unique<state>()) {
  auto& st = *state_;
  st.source = in;
  // GDCM aborts on some malformed input; read_header walks the structure first.
  const auto header = read_header(in, *st.reader);
  st.was_anonymous = header.info.patient_identity_removed;
  if (st.was_anonymous && !strip_identity_removed) {
    st.unchanged = true;
    return;
  }
  if (header.trailing_pixel_data && !header.info.transfer_syntax_uid.empty()) {
    st.pixel_data_offset = header.trailing_pixel_data;
  } else {
    st.reader = std::make_unique<gdcm::Reader>();
    st.reader->SetFileName(in.c_str());
    if (!st.reader->Read()) throw invalid_dicom("cannot read " + in.string());
  }
  auto& file = st.reader->GetFile();
  auto& meta = file.GetHeader();
  auto& ds = file.GetDataSet();
  st.real = root_values(ds);

  if (strip_identity_removed) {
    ds.Remove(patient_identity_removed);
    ds.Remove(deidentification_method);
    st.real.erase(tag_value(patient_identity_removed));
    st.real.erase(tag_value(deidentification_method));
  }
  const utf8_converter converter(ds.FindDataElement(specific_character_set)
                                     ? value_of(ds.GetDataElement(specific_character_set))
                                     : std::string());
  const transformer t{profile, converter};
  t.apply(meta);
  t.apply(ds);

  put(ds, specific_character_set, gdcm::VR::CS, "ISO_IR 192");
  put(ds, patient_identity_removed, gdcm::VR::CS, "YES");
  std::string method;
  for (const auto opt : profile) {
    if (!method.empty()) method += " - ";
    method += info(opt).description;
  }
  put(ds, deidentification_method, gdcm::VR::LO, method);
  const std::array<std::pair<gdcm::Tag, gdcm::VR>, 5> identity = {{
      {patient_name, gdcm::VR::PN},
      {patient_id, gdcm::VR::LO},
      {study_instance_uid, gdcm::VR::UI},
      {series_instance_uid, gdcm::VR::UI},
      {sop_instance_uid, gdcm::VR::UI},
  }};
  for (const auto& [tag, vr] : identity) {
    if (is_empty_value(ds, tag)) put(ds, tag, vr, new_uid());
  }

  if (meta.FindDataElement(transfer_syntax_uid)) {
    // Deviation from 2.1.1 (docs/api.md#deviations-from-slicebox-211): DICOM requires the meta
    // header to name the instance.
    put(meta, media_storage_sop_instance_uid, gdcm::VR::UI,
        value_of(ds.GetDataElement(sop_instance_uid)));
  } else {
    // What GDCM's writer does for a file without one: a meta header made from the dataset.
    meta.FillFromDataSet(ds);
  }
  st.anonymized = root_values(ds);
}

anonymized_image::anonymized_image(anonymized_image&&) noexcept = default;
anonymized_image& anonymized_image::operator=(anonymized_image&&) noexcept = default;
anonymized_image::~anonymized_image() = default;

bool anonymized_image::was_anonymous() const { return state_->was_anonymous; }

bool anonymized_image::unchanged() const { return state_->unchanged; }

const std::map<std::uint32_t, std::string>& anonymized_image::real_values() const {
  return state_->real;
}

const std::map<std::uint32_t, std::string>& anonymized_image::anonymized_values() const {
  return state_->anonymized;
}

std::optional<output_parts> anonymized_image::output(const std::vector<tag_mapping>& mappings) {
  auto& st = *state_;
  if (st.unchanged) return output_parts{{}, st.source, 0};
  if (!st.pixel_data_offset || reaches_pixel_data(mappings)) return std::nullopt;
  auto& file = st.reader->GetFile();
  modify_dataset(file, mappings);
  return output_parts{written(file), st.source, *st.pixel_data_offset};
}

void anonymized_image::write(const std::filesystem::path& out,
                             const std::vector<tag_mapping>& mappings) {
  if (auto parts = output(mappings)) {
    const descriptor from(::open(parts->file.c_str(), O_RDONLY | O_CLOEXEC));
    const descriptor to(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    struct stat st {};
    if (from.fd < 0 || to.fd < 0 || ::fstat(from.fd, &st) != 0 ||
        !write_all(to.fd, parts->head.data(), parts->head.size()) ||
        !copy_range(from.fd, static_cast<off_t>(parts->offset), st.st_size, to.fd)) {
      throw std::runtime_error("cannot write " + out.string());
    }
    return;
  }
  auto& st = *state_;
  auto& file = st.reader->GetFile();
  if (st.pixel_data_offset) {
    // A value at or after the pixel data: the pixel data has to be in the dataset after all.
    gdcm::Reader full;
    full.SetFileName(st.source.c_str());
    if (!full.Read()) throw std::runtime_error("cannot read " + st.source.string());
    for (const auto& de : full.GetFile().GetDataSet().GetDES())
      if (tag_value(de.GetTag()) >= pixel_data_tag) file.GetDataSet().Insert(de);
  }
  modify_dataset(file, mappings);
  write_file(file, out);
}

anonymization_result anonymize_file(const std::filesystem::path& in,
                                    const std::filesystem::path& out,
                                    const std::vector<confidentiality_option>& profile,
                                    bool strip_identity_removed) {
  anonymized_image image(in, profile, strip_identity_removed);
  image.write(out);
  return {image.was_anonymous()};
}

}  // namespace sbx::dicom
