# SPDX-License-Identifier: Apache-2.0
# Writes OUT: a C++ file holding every migration in FILES (sorted), named by file name.
set(body "// Generated from persistence/schema/*.sql; do not edit.\n#include \"persistence/migrations.hpp\"\n")
string(APPEND body "namespace sbx::persistence {\nconst std::vector<migration>& migrations() {\n")
string(APPEND body "  static const std::vector<migration> all = {\n")
foreach(f IN LISTS FILES)
  get_filename_component(name ${f} NAME)
  file(READ ${f} sql)
  string(APPEND body "    {\"${name}\", R\"sbxsql(${sql})sbxsql\"},\n")
endforeach()
string(APPEND body "  };\n  return all;\n}\n}  // namespace sbx::persistence\n")
file(WRITE ${OUT}.tmp "${body}")
configure_file(${OUT}.tmp ${OUT} COPYONLY)
