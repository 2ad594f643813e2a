# Fails when a source under ROOT includes a header by a path that climbs out of
# its own folder ("../"): the compiler resolves such a quoted include next to the
# including file, before any include root, so it would cross a seam unseen.
# Usage: cmake -DROOT=<dir> [-DEXCLUDE=<dir>] -P relative_includes.cmake
file(GLOB_RECURSE sources ${ROOT}/*.cpp ${ROOT}/*.hpp ${ROOT}/*.h)
set(offenders "")
foreach(source IN LISTS sources)
  if(EXCLUDE AND source MATCHES "^${EXCLUDE}/")
    continue()
  endif()
  file(STRINGS ${source} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"\\.\\.?/")
  foreach(line IN LISTS lines)
    list(APPEND offenders "${source}: ${line}")
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n" report)
  message(FATAL_ERROR "relative include crosses a seam:\n${report}")
endif()
